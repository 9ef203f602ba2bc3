package dev.stride.decoder.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Whole-file writes readers never see half done: write a sibling temp file, sync it, rename it over the target. */
final class AtomicFiles {

    private AtomicFiles() {
    }

    /** What a write puts into the temporary file. */
    @FunctionalInterface
    interface Body {
        void writeTo(FileChannel channel) throws IOException;
    }

    static void write(Path target, List<ByteBuffer> parts) {
        write(target, channel -> {
            for (ByteBuffer part : parts) {
                writeFully(channel, part.duplicate());
            }
        });
    }

    static void write(Path target, Body body) {
        Path absolute = target.toAbsolutePath();
        // Not Files.createTempFile: that creates the file 0600, and the renamed result would keep that mode.
        Path temp = absolute.resolveSibling("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                body.writeTo(channel);
                channel.force(true);
            }
            move(temp, absolute);
        } catch (IOException e) {
            deleteQuietly(temp, e);
            throw new SafetensorsException("cannot write " + target + ": " + e, e);
        } catch (RuntimeException e) {
            deleteQuietly(temp, e);
            throw e;
        }
    }

    static void writeFully(FileChannel channel, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path temp, Exception cause) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
