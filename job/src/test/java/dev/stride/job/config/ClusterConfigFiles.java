package dev.stride.job.config;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The files of the repository's cluster-config/ folder, read the way Spark reads them. Tests that check those files
 * and tests that run the job locally with them share this.
 */
public final class ClusterConfigFiles {

    private static final Pattern GPU_KEY = Pattern.compile("spark\\.(driver|executor|task|worker)\\.resource\\.gpu\\..+");

    private ClusterConfigFiles() {
    }

    /**
     * The cluster-config/ folder: Surefire runs in the job module, the folder sits at the repository root. Its real
     * path, as the scripts see their own folder (they resolve symlinks with readlink -f).
     */
    public static Path dir() {
        Path start = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("cluster-config"))) {
                try {
                    return dir.resolve("cluster-config").toRealPath();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("no cluster-config/ folder in " + start + " or above");
    }

    /** The GPU properties file. */
    public static final String GPU_DEFAULTS = "spark-defaults.conf";
    /** The CPU properties file (DEVICE=cpu). */
    public static final String CPU_DEFAULTS = "spark-defaults-cpu.conf";

    /** spark-defaults.conf as spark-submit loads a properties file: java.util.Properties in UTF-8, values trimmed. */
    public static Map<String, String> sparkDefaults() throws IOException {
        return sparkDefaults(GPU_DEFAULTS);
    }

    /** One of the properties files, read the same way. */
    public static Map<String, String> sparkDefaults(String file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(dir().resolve(file), StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> values = new TreeMap<>();
        properties.stringPropertyNames().forEach(key -> values.put(key, properties.getProperty(key).trim()));
        return values;
    }

    /** The properties a run without GPUs can use as they are, such as a local run: all but the GPU requests. */
    public static Map<String, String> nonGpuProperties() throws IOException {
        return nonGpuProperties(GPU_DEFAULTS);
    }

    /** A properties file minus its GPU requests (the CPU file has none). */
    public static Map<String, String> nonGpuProperties(String file) throws IOException {
        Map<String, String> values = sparkDefaults(file);
        values.keySet().removeIf(isGpuKey());
        return values;
    }

    static Predicate<String> isGpuKey() {
        return key -> GPU_KEY.matcher(key).matches();
    }
}
