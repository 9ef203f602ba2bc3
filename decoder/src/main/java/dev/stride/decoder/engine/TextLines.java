package dev.stride.decoder.engine;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Prompt files as lines of UTF-8 text, the way editors save them. */
public final class TextLines {

    /** The UTF-8 byte-order mark Windows editors put before the text: no part of the first line. */
    private static final char BYTE_ORDER_MARK = '\uFEFF';

    private TextLines() {
    }

    /**
     * The file's lines (CRLF or LF ends, the last one optional), without a leading byte-order mark.
     *
     * @throws IllegalArgumentException naming the file and what is wrong: the JDK's own messages are the bare path
     *                                  (no such file) or 'Input length = 1' (not UTF-8); or naming the line that
     *                                  holds a NUL character
     */
    public static List<String> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file", e);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e, e);
        }
        if (!lines.isEmpty() && !lines.get(0).isEmpty() && lines.get(0).charAt(0) == BYTE_ORDER_MARK) {
            lines.set(0, lines.get(0).substring(1));
        }
        for (int i = 0; i < lines.size(); i++) {
            // UTF-16 without a byte-order mark decodes as UTF-8 with a NUL beside every ASCII character; text has none.
            if (lines.get(i).indexOf('\0') >= 0) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": a NUL character (UTF-16 text?);"
                        + " save the file as UTF-8");
            }
        }
        return lines;
    }
}
