package dev.stride.decoder.tokenizer;

import java.util.Arrays;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Turns generated ids into text one id at a time, as text-generation-inference does: the ids since the last emit
 * point are decoded together with the ids emitted just before them, and only the text beyond that context is
 * returned. Decoding such a window reproduces a decoder's spacing rules, and its size stays bounded, so each push
 * costs the same however long the sequence grows.
 *
 * <p>Text is held back while the window's text ends in U+FFFD: the last id ended inside a UTF-8 character whose
 * remaining bytes are still to come. Special ids produce no text, as in {@link StrideTokenizer#decode}.
 */
public final class IncrementalDetokenizer {

    /** Prompt ids used as context, enough for any decoder's look-behind on the first generated token. */
    private static final int PROMPT_CONTEXT = 5;
    private static final char REPLACEMENT = '\uFFFD';

    private final Function<int[], String> decoder;
    private final IntPredicate special;
    private final StringBuilder text = new StringBuilder();
    private int[] window = new int[16];
    private int size;
    /** window[0, readOffset) is context whose text was already emitted. */
    private int readOffset;
    /** Decoded window[0, readOffset); null until needed. */
    private String contextText;

    /** @param decoder decodes ids verbatim (special ids never reach it) */
    IncrementalDetokenizer(int[] promptIds, Function<int[], String> decoder, IntPredicate special) {
        this.decoder = decoder;
        this.special = special;
        int start = promptIds.length;
        for (int kept = 0; start > 0 && kept < PROMPT_CONTEXT; start--) {
            if (!special.test(promptIds[start - 1])) {
                kept++;
            }
        }
        for (int i = start; i < promptIds.length; i++) {
            if (!special.test(promptIds[i])) {
                append(promptIds[i]);
            }
        }
        readOffset = size;
    }

    /** Adds one generated id; returns the text it completes, possibly empty. */
    public String push(int id) {
        if (special.test(id)) {
            return "";
        }
        append(id);
        String full = decoder.apply(Arrays.copyOf(window, size));
        String context = contextText();
        if (full.length() <= context.length() || full.charAt(full.length() - 1) == REPLACEMENT) {
            return "";
        }
        return emit(full.substring(context.length()));
    }

    /** Emits whatever the pushed ids still hold back, U+FFFD included, as a full decode would show it. */
    public String flush() {
        if (size == readOffset) {
            return "";
        }
        String full = decoder.apply(Arrays.copyOf(window, size));
        String context = contextText();
        return emit(full.length() > context.length() ? full.substring(context.length()) : "");
    }

    /** Everything emitted so far. */
    public String text() {
        return text.toString();
    }

    private String emit(String delta) {
        // The ids just emitted become the context of the next ones; older ids are dropped.
        int emitted = size - readOffset;
        System.arraycopy(window, readOffset, window, 0, emitted);
        size = emitted;
        readOffset = emitted;
        contextText = null;
        text.append(delta);
        return delta;
    }

    private String contextText() {
        if (contextText == null) {
            contextText = decoder.apply(Arrays.copyOf(window, readOffset));
        }
        return contextText;
    }

    private void append(int id) {
        if (size == window.length) {
            window = Arrays.copyOf(window, size * 2);
        }
        window[size++] = id;
    }
}
