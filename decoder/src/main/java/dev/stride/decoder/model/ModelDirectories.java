package dev.stride.decoder.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Checks on a directory that a command fills with a whole new model. */
public final class ModelDirectories {

    private ModelDirectories() {
    }

    /**
     * Whether {@code out} exists (then as an empty directory, else a {@link ModelException}); absent is fine. A
     * whole model directory is written there, so nothing may be overwritten or left over from another model.
     */
    public static boolean checkEmptyOrAbsent(Path out) {
        if (!Files.exists(out)) {
            return false;
        }
        if (!Files.isDirectory(out)) {
            throw new ModelException(out + ": exists and is not a directory");
        }
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw new ModelException(out + ": output directory is not empty (a whole model directory is written"
                        + " there, and nothing is overwritten)");
            }
        } catch (IOException e) {
            throw new ModelException(out + ": cannot read: " + e, e);
        }
        return true;
    }
}
