package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.job.infer.PartitionGenerator;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Tasks that fail and are retried leave the output exactly as a run without failures. */
class RetryTest {

    /** Two cores, up to three attempts per task. */
    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2,3]");

    @TempDir
    Path dir;

    @Test
    void retriedTasksGiveIdenticalOutput() {
        Path input = TestPrompts.write(SPARK.session(), TestPrompts.all(), dir.resolve("in"));
        String[] common = {"--input", input.toString(), "--max-new-tokens", "8", "--temperature", "0.7",
            "--partitions", "2"};
        JobRuns.run(SPARK.session(), with(common, dir.resolve("clean")));

        System.setProperty(PartitionGenerator.FAIL_FIRST_ATTEMPT, "true");
        RunSummary retried;
        try {
            retried = JobRuns.run(SPARK.session(), with(common, dir.resolve("retried")));
        } finally {
            System.clearProperty(PartitionGenerator.FAIL_FIRST_ATTEMPT);
        }
        JobRuns.assertSameOutput(SPARK.session(), dir.resolve("clean"), dir.resolve("retried"));
        assertEquals(TestPrompts.all().size(), retried.rowsTotal());
        // Failed attempts' accumulator updates are dropped: each row is counted once.
        assertEquals(retried.rowsTotal(),
                retried.perExecutor().stream().mapToLong(RunSummary.ExecutorSummary::rows).sum());
    }

    private static String[] with(String[] common, Path output) {
        String[] args = java.util.Arrays.copyOf(common, common.length + 2);
        args[common.length] = "--output";
        args[common.length + 1] = output.toString();
        return args;
    }
}
