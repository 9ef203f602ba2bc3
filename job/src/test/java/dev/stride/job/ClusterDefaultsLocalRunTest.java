package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.job.config.ClusterConfigFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs the job under cluster-config/spark-defaults.conf minus its GPU requests, and under spark-defaults-cpu.conf, so
 * the shipped settings (task cpus, memory, dynamic allocation, JVM flags, scheduler waits) cannot drift into something
 * the job does not run with.
 */
class ClusterDefaultsLocalRunTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {ClusterConfigFiles.GPU_DEFAULTS, ClusterConfigFiles.CPU_DEFAULTS})
    void jobRunsWithTheShippedNonGpuSettings(String file) throws IOException {
        Map<String, String> settings = ClusterConfigFiles.nonGpuProperties(file);
        // local[N] must offer at least spark.task.cpus slots for one task to run.
        int taskCpus = Integer.parseInt(settings.getOrDefault("spark.task.cpus", "1"));
        SparkSession.Builder builder = SparkSession.builder().master("local[" + taskCpus + "]")
                .appName("cluster-defaults").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        settings.forEach(builder::config);
        SparkSession spark = builder.getOrCreate();
        try {
            assertEquals(settings.get("spark.task.cpus"), spark.conf().get("spark.task.cpus"));
            Path input = TestPrompts.write(spark, TestPrompts.all(), dir.resolve("in"));
            RunSummary summary = JobRuns.run(spark, "--input", input.toString(), "--output",
                    dir.resolve("out").toString(), "--max-new-tokens", "6", "--threads", "2");
            assertEquals(TestPrompts.all().size(), summary.rowsTotal());
            assertEquals(TestPrompts.BAD_ROWS.size(), summary.rowsFailed());
            assertEquals(TestPrompts.all().size(), spark.read().parquet(dir.resolve("out").toString()).count());
        } finally {
            spark.stop();
            SparkSession.clearActiveSession();
            SparkSession.clearDefaultSession();
        }
    }
}
