package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.job.config.ClusterConfigFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the job under cluster-config/spark-defaults.conf minus its GPU requests, so the shipped settings (task cpus,
 * memory, dynamic allocation, JVM flags, scheduler waits) cannot drift into something the job does not run with.
 */
class ClusterDefaultsLocalRunTest {

    private static SparkSession spark;
    private static Map<String, String> settings;

    @BeforeAll
    static void start() throws IOException {
        settings = ClusterConfigFiles.nonGpuProperties();
        // local[N] must offer at least spark.task.cpus slots for one task to run.
        int taskCpus = Integer.parseInt(settings.getOrDefault("spark.task.cpus", "1"));
        SparkSession.Builder builder = SparkSession.builder().master("local[" + taskCpus + "]")
                .appName("cluster-defaults").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        settings.forEach(builder::config);
        spark = builder.getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    @Test
    void jobRunsWithTheShippedNonGpuSettings(@TempDir Path dir) {
        assertEquals(settings.get("spark.task.cpus"), spark.conf().get("spark.task.cpus"));
        Path input = TestPrompts.write(spark, TestPrompts.all(), dir.resolve("in"));
        RunSummary summary = JobRuns.run(spark, "--input", input.toString(), "--output",
                dir.resolve("out").toString(), "--max-new-tokens", "6", "--threads", "2");
        assertEquals(TestPrompts.all().size(), summary.rowsTotal());
        assertEquals(TestPrompts.BAD_ROWS.size(), summary.rowsFailed());
        assertEquals(TestPrompts.all().size(), spark.read().parquet(dir.resolve("out").toString()).count());
    }
}
