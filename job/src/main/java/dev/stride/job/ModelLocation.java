package dev.stride.job;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkFiles;

/** Finds a model or heads directory on an executor: a path every executor can read, or one shipped with --archives. */
final class ModelLocation {

    private ModelLocation() {
    }

    static Path resolve(String location) {
        Path direct = Path.of(location);
        if (Files.isDirectory(direct)) {
            return direct.toAbsolutePath().normalize();
        }
        // spark-submit --archives model.tar.gz#name (or --files) unpacks into the SparkFiles root under that name.
        Path shipped = Path.of(SparkFiles.get(direct.getFileName().toString()));
        if (Files.isDirectory(shipped)) {
            return shipped;
        }
        throw new IllegalArgumentException("model directory '" + location + "' not found: neither a directory here "
                + "nor shipped with --archives/--files (looked in " + shipped + ")");
    }
}
