package dev.stride.job;

import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar on a real Spark standalone cluster (master and two one-core workers, separate JVMs, loopback),
 * submitted with SparkSubmit in client mode; one executor JVM is killed with SIGKILL after it finished a generation
 * task. The run must still write every row once, with the completions of a clean local run, and bill executor time
 * that two executors alive at once can account for.
 */
class StandaloneClusterIT {

    /** The clean reference run, in this JVM. */
    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final int ROWS = 160;
    private static final Duration RUN_TIMEOUT = Duration.ofSeconds(300);
    /** Executors alive at once: one per one-core worker. */
    private static final int MAX_EXECUTORS_ALIVE = 2;

    /** Kept when the test fails: the master, worker, driver and executor logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aKilledExecutorLosesNoRowDuplicatesNoneAndIsBilledOnlyWhileAlive() throws Exception {
        Path input = prompts(dir.resolve("in"));
        String[] jobArgs = {"--input", input.toString(), "--max-new-tokens", "16", "--temperature", "0.7",
            "--threads", "1", "--partitions", "8"};
        long start = System.nanoTime();
        log(start, "logs in " + dir);
        Path clean = dir.resolve("clean");
        JobRuns.run(SPARK.session(), concat(jobArgs, "--output", clean.toString()));
        log(start, "clean local run done");

        Path output = dir.resolve("cluster-out");
        Path driverLog = dir.resolve("driver.log");
        String killed;
        try (StandaloneCluster cluster = StandaloneCluster.start(dir.resolve("cluster"), 2, jvmFlags())) {
            log(start, "cluster up");
            Process driver = cluster.launch(driverLog, "org.apache.spark.deploy.SparkSubmit",
                    concat(new String[] {"--master", cluster.masterUrl(), "--deploy-mode", "client",
                        "--class", StrideJob.class.getName(),
                        "--conf", "spark.cores.max=2",
                        "--conf", "spark.executor.cores=1",
                        "--conf", "spark.executor.memory=512m",
                        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", jvmFlags()),
                        "--conf", "spark.driver.host=127.0.0.1",
                        "--conf", "spark.driver.bindAddress=127.0.0.1",
                        "--conf", "spark.ui.enabled=false",
                        "--conf", "spark.ui.showConsoleProgress=false",
                        // Start only once both executors are there, so that both get work.
                        "--conf", "spark.scheduler.minRegisteredResourcesRatio=1.0",
                        "--conf", "spark.scheduler.maxRegisteredResourcesWaitingTime=60s",
                        "--conf", "spark.locality.wait=0s",
                        System.getProperty("stride.job.jar"),
                        "run", "--model", JobRuns.FIXTURE.toString(), "--output", output.toString()}, jobArgs));

            ProcessHandle victim = cluster.executorThatFinishedATask(RUN_TIMEOUT);
            killed = StandaloneCluster.executorId(victim);
            // Let its finished task's result reach the driver, then kill it in the middle of its next task.
            Thread.sleep(500);
            victim.destroyForcibly();
            log(start, "killed executor " + killed);
            assertTrue(driver.waitFor(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS),
                    "the job did not finish in " + RUN_TIMEOUT + ":\n" + StandaloneCluster.tail(driverLog));
            assertEquals(0, driver.exitValue(), "the job failed:\n" + StandaloneCluster.tail(driverLog));
            log(start, "cluster run done");
            assertTrue(StandaloneCluster.read(driverLog).contains("Lost executor " + killed + " "),
                    "the driver saw executor " + killed + " die:\n" + StandaloneCluster.tail(driverLog));
        }

        List<Row> ids = SPARK.session().read().parquet(output.toString()).select("id").collectAsList();
        assertEquals(ROWS, ids.size(), "rows out == rows in");
        assertEquals(ROWS, new TreeSet<>(ids.stream().map(row -> row.getString(0)).toList()).size(),
                "ids unique");
        JobRuns.assertSameOutput(SPARK.session(), clean, output);

        JsonNode summary = new ObjectMapper().readTree(output.resolve("_stride/summary.json").toFile());
        Set<String> worked = new TreeSet<>();
        summary.get("per_executor").forEach(executor -> {
            if (executor.get("rows").asLong() > 0) {
                worked.add(executor.get("executor").asText());
            }
        });
        assertTrue(worked.contains(killed) && worked.size() >= 2,
                "the killed executor " + killed + " and another did work: " + worked);
        double alive = summary.get("executor_seconds_alive").asDouble();
        double busy = summary.get("executor_seconds_busy").asDouble();
        double wall = summary.get("wall_seconds").asDouble();
        assertTrue(busy > 0 && alive >= busy, "alive " + alive + " >= busy " + busy);
        assertTrue(alive <= wall * MAX_EXECUTORS_ALIVE + 2.0,
                "alive " + alive + " <= wall " + wall + " x " + MAX_EXECUTORS_ALIVE + " executors + 2 s");
    }

    /** ROWS prompts with distinct ids; sampled, so each row's completion depends on its id's seed. */
    private static Path prompts(Path dir) {
        String[] starts = {"A fool and his money", "You will be", "The best way to", "Life is", "Never trust a",
            "There is no", "Q: What is", "Your lucky number is", "Beware of", "It is a truth"};
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            rows.add(RowFactory.create(String.format("c%03d", i), starts[i % starts.length]));
        }
        StructType schema = new StructType().add("id", StringType).add("prompt", StringType);
        SPARK.session().createDataFrame(rows, schema).coalesce(1).write().parquet(dir.toString());
        return dir;
    }

    /** Phase times, in the test's output file: the test should stay well under three minutes. */
    private static void log(long start, String phase) {
        System.out.printf("StandaloneClusterIT: %s after %.1f s%n", phase, (System.nanoTime() - start) / 1e9);
    }

    private static List<String> jvmFlags() {
        return List.of(System.getProperty("stride.jvm.flags").trim().split("\\s+"));
    }

    private static String[] concat(String[] first, String... second) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(second));
        return all.toArray(String[]::new);
    }
}
