package dev.stride.job.infer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.spark.SparkFiles;

/**
 * Finds a model or heads directory on an executor: a Hadoop URI (copied once per JVM into {@link ModelCache}), a path
 * every executor can read, or the name it was shipped under with --archives/--files.
 */
final class ModelLocation {

    /** A scheme of two or more characters and a slash: hdfs://, s3a://, file:/, ... (not a Windows drive letter). */
    private static final Pattern URI = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:/.*");

    private ModelLocation() {
    }

    static boolean isUri(String location) {
        return URI.matcher(location).matches();
    }

    static Path resolve(String location) {
        if (isUri(location)) {
            return ModelCache.jvm().local(location);
        }
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
