package dev.stride.job.infer;

import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.config.OptionNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;

/**
 * Checks {@code --model} and {@code --heads} on the driver, before any task starts, so a wrong path is one clear
 * error instead of failed task attempts on every executor:
 *
 * <ul>
 *   <li>a Hadoop URI ({@code hdfs://}, {@code s3a://}, {@code abfss://}, {@code file://} ...) must be a directory
 *       holding the model's files; executors copy it into their local cache ({@link ModelCache});
 *   <li>a name shipped with {@code --archives}/{@code --files} ({@code spark.archives}, {@code spark.files} or their
 *       YARN forms) stays a name, checked when the driver sees it too;
 *   <li>any other path is made absolute against the driver's working directory and must be such a directory there
 *       (executors then need it at the same absolute path: a shared mount, or a local run).
 * </ul>
 *
 * <p>A {@code --tree file:PATH} of a multi-token run is a path or a shipped name in the same way, and must be a tree
 * file the driver can read: executors read it only when they build their decoders, after loading the model.
 */
public final class ModelSource {

    private static final String TREE_FILE = "file:";
    private static final List<String> SHIPPED_KEYS = List.of("spark.archives", "spark.files",
            "spark.yarn.dist.archives", "spark.yarn.dist.files");

    private ModelSource() {
    }

    /** The config with its model, heads and tree file locations checked, local paths made absolute. */
    public static JobConfig check(SparkSession spark, JobConfig config, OptionNames names) {
        String model = check(spark, names.of("model"), config.model(), List.of("config.json", "tokenizer.json"));
        String heads = config.heads() == null ? null : check(spark, names.of("heads"), config.heads(),
                List.of("config.json"));
        // Plain decoding never reads the tree (JobConfig drops the heads of an ar run).
        String tree = heads == null ? config.tree() : checkTree(spark, names.of("tree"), config.tree());
        if (model.equals(config.model()) && Objects.equals(heads, config.heads())
                && Objects.equals(tree, config.tree())) {
            return config;
        }
        return config.withLocations(model, heads, tree);
    }

    /** A {@code file:} tree with its path made absolute and its file read; other trees as they are. */
    private static String checkTree(SparkSession spark, String option, String tree) {
        if (tree == null || !tree.startsWith(TREE_FILE)) {
            return tree;
        }
        String location = tree.substring(TREE_FILE.length());
        Path path = Path.of(location);
        if (path.getNameCount() == 1 && shipped(spark.sparkContext().getConf()).contains(location)) {
            // Shipped with --files: the executors find it under this name; check it where the driver sees it too.
            for (Path visible : List.of(path, Path.of(SparkFiles.get(location)))) {
                if (Files.isRegularFile(visible)) {
                    readTree(visible);
                    break;
                }
            }
            return tree;
        }
        Path absolute = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(absolute)) {
            throw new JobSetupException(option + " " + tree + ": no file " + absolute + (path.isAbsolute() ? ""
                    : " (relative paths are resolved against the driver's working directory "
                    + Path.of("").toAbsolutePath() + ")") + "; give a file that exists on the driver and every "
                    + "executor, or a name shipped with --files");
        }
        readTree(absolute);
        return TREE_FILE + absolute;
    }

    /** Reads a tree file as the executors will; the depth against the heads is checked where they load. */
    private static void readTree(Path file) {
        try {
            TreeSpecs.parse(TREE_FILE + file, Integer.MAX_VALUE, () -> {
                throw new IllegalStateException("a tree file needs no cost measurements");
            });
        } catch (IllegalArgumentException e) {
            throw new JobSetupException(e.getMessage()); // names the file and what is wrong in it
        }
    }

    private static String check(SparkSession spark, String option, String location, List<String> required) {
        if (location.toLowerCase(Locale.ROOT).endsWith(".gguf") && !isDirectory(spark, location)) {
            throw new JobSetupException(option + " " + location + ": a GGUF file; import it as a model directory"
                    + " first (bin/stride import-gguf FILE.gguf --out DIR, on a local copy) and give that directory");
        }
        if (ModelLocation.isUri(location)) {
            checkUri(spark, option, location, required);
            return location;
        }
        Path path = Path.of(location);
        String name = path.getFileName() == null ? location : path.getFileName().toString();
        boolean shippedName = path.getNameCount() == 1 && shipped(spark.sparkContext().getConf()).contains(name);
        if (shippedName) {
            // The executors find it under this name; check it where the driver can see it as well.
            for (Path visible : List.of(path, Path.of(SparkFiles.get(name)))) {
                if (Files.isDirectory(visible)) {
                    checkFiles(option, location + " (" + visible.toAbsolutePath() + ")", names(visible), required);
                    break;
                }
            }
            return location;
        }
        Path absolute = path.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute)) {
            checkFiles(option, absolute.toString(), names(absolute), required);
            return absolute.toString();
        }
        if (path.getNameCount() == 1) {
            // addArchive/addFile from code rather than spark-submit: the name is in the driver's SparkFiles root.
            Path inFiles = Path.of(SparkFiles.get(name));
            if (Files.isDirectory(inFiles)) {
                checkFiles(option, location + " (" + inFiles + ")", names(inFiles), required);
                return location;
            }
        }
        throw new JobSetupException(option + " " + location + ": " + (Files.exists(absolute)
                ? absolute + " is not a directory" : "no directory " + absolute + (path.isAbsolute() ? ""
                : " (relative paths are resolved against the driver's working directory "
                + Path.of("").toAbsolutePath() + ")")) + ", and nothing named '" + name
                + "' was shipped with --archives/--files; give a directory that exists on the driver and every "
                + "executor, a Hadoop URI (hdfs://, s3a://, file://, ...), or an --archives name");
    }

    /** Whether {@code location} (a local path or a Hadoop URI) names an existing directory. */
    private static boolean isDirectory(SparkSession spark, String location) {
        if (!ModelLocation.isUri(location)) {
            return Files.isDirectory(Path.of(location));
        }
        org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(path) && fs.getFileStatus(path).isDirectory();
        } catch (IOException e) {
            return false;
        }
    }

    private static void checkUri(SparkSession spark, String option, String location, List<String> required) {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(location);
        try {
            FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
            if (!fs.exists(dir)) {
                throw new JobSetupException(option + " " + location + ": no such directory");
            }
            if (!fs.getFileStatus(dir).isDirectory()) {
                throw new JobSetupException(option + " " + location + ": not a directory");
            }
            List<String> names = new ArrayList<>();
            for (FileStatus status : fs.listStatus(dir)) {
                names.add(status.getPath().getName());
            }
            checkFiles(option, location, names, required);
        } catch (IOException e) {
            throw new JobSetupException(option + " " + location + ": cannot read it on the driver: " + e);
        }
    }

    private static void checkFiles(String option, String where, List<String> names, List<String> required) {
        List<String> missing = new ArrayList<>();
        for (String file : required) {
            if (!names.contains(file)) {
                missing.add(file);
            }
        }
        if (names.stream().noneMatch(n -> n.endsWith(".safetensors"))) {
            missing.add("*.safetensors");
        }
        if (!missing.isEmpty()) {
            throw new JobSetupException(option + " " + where + ": no " + String.join(", no ", missing) + " in it ("
                    + (option.endsWith("model") ? "a model directory holds config.json, tokenizer.json and the "
                    + "*.safetensors weights" : "a heads directory holds config.json and the *.safetensors weights")
                    + ")");
        }
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new JobSetupException("cannot list " + dir + ": " + e.getMessage());
        }
    }

    /** Names under which spark-submit ships archives and files: the #fragment, else the file name. */
    static List<String> shipped(SparkConf conf) {
        List<String> names = new ArrayList<>();
        for (String key : SHIPPED_KEYS) {
            for (String entry : conf.get(key, "").split(",")) {
                String trimmed = entry.trim();
                if (trimmed.isEmpty()) {
                    continue;
                }
                int hash = trimmed.lastIndexOf('#');
                names.add(hash >= 0 ? trimmed.substring(hash + 1)
                        : Arrays.asList(trimmed.split("/")).get(trimmed.split("/").length - 1));
            }
        }
        return names;
    }
}
