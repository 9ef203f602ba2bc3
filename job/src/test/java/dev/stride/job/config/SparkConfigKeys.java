package dev.stride.job.config;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.spark.internal.config.ConfigEntry;

/**
 * Whether a Spark property key exists in Spark 4.0.1, so that a misspelt key in cluster-config/ fails a test instead
 * of being ignored by spark-submit.
 */
final class SparkConfigKeys {

    // Keys Spark reads by pattern rather than as registered entries (configuration.md: custom resource scheduling;
    // running-on-kubernetes.md: volumes).
    private static final List<Pattern> PATTERNS = List.of(
            Pattern.compile("spark\\.(driver|executor|worker)\\.resource\\.[a-z]+\\.(amount|discoveryScript|vendor)"),
            Pattern.compile("spark\\.task\\.resource\\.[a-z]+\\.amount"),
            Pattern.compile("spark\\.kubernetes\\.(driver|executor)\\.volumes\\.(hostPath|emptyDir|nfs"
                    + "|persistentVolumeClaim)\\.[a-z0-9-]+\\.(mount\\.(path|readOnly|subPath)|options\\.[A-Za-z]+)"));

    // Keys of the Kubernetes and YARN modules, which are not on the test classpath (running-on-kubernetes.md and
    // running-on-yarn.md of Spark 4.0.1). Add a key here only after finding it there.
    private static final Set<String> CLUSTER_MANAGER_KEYS = Set.of(
            "spark.kubernetes.namespace", "spark.kubernetes.container.image",
            "spark.kubernetes.authenticate.driver.serviceAccountName", "spark.kubernetes.executor.podTemplateFile",
            "spark.kubernetes.submission.waitAppCompletion", "spark.yarn.resourceGpuDeviceName",
            "spark.yarn.maxAppAttempts");

    static {
        // Spark's config objects register their entries when first initialized.
        for (String holder : List.of("org.apache.spark.internal.config.package$",
                "org.apache.spark.sql.internal.SQLConf$", "org.apache.spark.sql.internal.StaticSQLConf$")) {
            try {
                Class.forName(holder, true, SparkConfigKeys.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private SparkConfigKeys() {
    }

    static boolean isKnown(String key) {
        return key.startsWith("spark.stride.") || ConfigEntry.findEntry(key) != null
                || PATTERNS.stream().anyMatch(p -> p.matcher(key).matches()) || CLUSTER_MANAGER_KEYS.contains(key);
    }

    /** Parses a value with the key's own Spark converter (and its checks); keys without an entry pass. */
    static void checkValue(String key, String value) {
        ConfigEntry<?> entry = ConfigEntry.findEntry(key);
        if (entry != null) {
            entry.valueConverter().apply(value);
        }
    }
}
