package dev.stride.job.infer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * What a model or heads directory holds, cheaply: the name, size and modification time (in the file system's full
 * resolution) of each file in it. Weights re-exported or heads retrained over the same path change it. Only the top
 * level: the engine reads no subdirectory, and a clone's {@code .git} would only make the listing slow.
 */
final class DirectoryStamp {

    private DirectoryStamp() {
    }

    static String of(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            StringBuilder stamp = new StringBuilder();
            for (Path entry : entries.sorted().toList()) {
                BasicFileAttributes file;
                try {
                    // Follows links: a Hugging Face snapshot links each file to its blob.
                    file = Files.readAttributes(entry, BasicFileAttributes.class);
                } catch (NoSuchFileException gone) {
                    continue; // a dangling link, or deleted since the listing: nothing the engine could read
                }
                if (file.isRegularFile()) {
                    stamp.append(entry.getFileName()).append(' ').append(file.size()).append(' ')
                            .append(file.lastModifiedTime()).append('\n');
                }
            }
            return stamp.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the model directory " + dir + ": " + e.getMessage(), e);
        }
    }
}
