package dev.stride.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunCommand;
import dev.stride.job.RunSummary;
import dev.stride.job.config.JobConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The automatic split of work rows into tasks (no --partitions). */
class TaskSpreadTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final StructType WORK = new StructType().add("id", DataTypes.StringType)
            .add("prompt", DataTypes.StringType).add("max_new_tokens", DataTypes.IntegerType);

    @TempDir
    Path dir;

    @Test
    void taskCountGivesEverySlotSeveralTasksButNotLessThanABatchEach() {
        assertEquals(0, TaskSpread.tasks(0, 2, 8));
        assertEquals(1, TaskSpread.tasks(1, 2, 8));
        assertEquals(2, TaskSpread.tasks(3, 2, 8), "every slot gets a row while there are rows");
        assertEquals(5, TaskSpread.tasks(40, 2, 8), "40 rows, batches of 8: 5 tasks");
        assertEquals(6, TaskSpread.tasks(400, 2, 8), "three tasks per slot");
        assertEquals(48, TaskSpread.tasks(100_000, 16, 8));
        assertEquals(16, TaskSpread.tasks(20, 16, 8), "never fewer tasks than slots");
    }

    @Test
    void aRowGoesToTheTaskItsWorkMidpointFallsIn() {
        assertEquals(0, TaskSpread.task(0, 10, 100, 4));
        assertEquals(0, TaskSpread.task(20, 8, 100, 4));
        assertEquals(1, TaskSpread.task(20, 12, 100, 4));
        assertEquals(3, TaskSpread.task(90, 10, 100, 4));
        assertEquals(2, TaskSpread.task(0, 100, 100, 4), "a row that is all the work lands in the middle");
    }

    @Test
    void slotsAreTheLocalCoresOrDefaultParallelism() {
        assertEquals(2, TaskSpread.slots(SPARK.session().sparkContext()));
    }

    @Test
    void oneInputPartitionBecomesSeveralBalancedTasksInStableOrder() {
        List<Row> rows = new ArrayList<>();
        long[] work = new long[60];
        for (int i = 0; i < work.length; i++) {
            // Prompts of 4 to 400 characters, some rows asking for many more tokens than the default.
            String prompt = "x".repeat(4 + (i * 37) % 400);
            Integer maxNewTokens = i % 7 == 0 ? 200 : null;
            rows.add(RowFactory.create(String.format("r%03d", i), prompt, maxNewTokens));
            work[i] = (prompt.length() + 3) / 4 + (maxNewTokens == null ? 16 : maxNewTokens);
        }
        SparkSession spark = SPARK.session();
        var input = spark.createDataFrame(rows, WORK).coalesce(1);
        TaskSpread.Spread spread = TaskSpread.spread(spark, input, "prompt", false, config(16, 4));

        List<List<Row>> tasks = spread.rows().javaRDD().glom().collect();
        assertEquals(6, spread.tasks(), "two slots, three tasks each");
        assertEquals(6, tasks.size());
        assertEquals(60, spread.rowCount());
        assertEquals(List.of("id", "prompt", "max_new_tokens"), List.of(spread.rows().schema().fieldNames()));
        long total = 0;
        long heaviest = 0;
        for (long w : work) {
            total += w;
            heaviest = Math.max(heaviest, w);
        }
        assertEquals(total, spread.work());
        List<String> order = new ArrayList<>();
        for (List<Row> task : tasks) {
            assertFalse(task.isEmpty());
            long taskWork = 0;
            for (Row row : task) {
                order.add(row.getString(0));
                taskWork += work[Integer.parseInt(row.getString(0).substring(1))];
            }
            assertTrue(taskWork <= total / 6 + heaviest, "task work " + taskWork + " of " + total);
        }
        // Consecutive rows in input order: task 0 holds the first ones, each task in order.
        assertEquals(rows.stream().map(r -> r.getString(0)).toList(), order);
        // The same split again: the assignment is a function of the input.
        assertEquals(tasks, TaskSpread.spread(spark, input, "prompt", false, config(16, 4)).rows().javaRDD()
                .glom().collect());
    }

    @Test
    void noRowsNoTasks() {
        SparkSession spark = SPARK.session();
        var empty = spark.createDataFrame(List.of(), WORK);
        TaskSpread.Spread spread = TaskSpread.spread(spark, empty, "prompt", false, config(16, 4));
        assertEquals(0, spread.tasks());
        assertEquals(0, spread.rows().count());
    }

    /**
     * A long max_new_tokens column may hold values no row can use: they fail their row, and must not fail the run
     * (adding Long.MAX_VALUE to the prompt estimate overflowed under ANSI SQL and failed the task).
     */
    @Test
    void maxNewTokensBeyondAnIntIsAnErrorRowNotAFailedRun() {
        SparkSession spark = SPARK.session();
        StructType schema = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
                .add("max_new_tokens", DataTypes.LongType);
        Path input = dir.resolve("in");
        spark.createDataFrame(List.of(RowFactory.create("ok", "Hello", null),
                RowFactory.create("max", "Hello", Long.MAX_VALUE), RowFactory.create("huge", "Hello", 1L << 40),
                RowFactory.create("negative", "Hello", -5L)), schema).coalesce(1).write().parquet(input.toString());
        RunSummary summary = JobRuns.run(spark, "--input", input.toString(), "--output", dir.resolve("out").toString(),
                "--max-new-tokens", "3");

        assertEquals(4, summary.rowsTotal());
        assertEquals(3, summary.rowsFailed());
        assertEquals(Map.of("invalid_override", 3L), summary.errorsByKind());
        assertEquals(1, spark.read().parquet(dir.resolve("out").toString()).where("id = 'ok' and error is null")
                .count());
    }

    /** The bundled 40-row sample set is one Parquet file; in local[2] the job now runs it as several tasks. */
    @Test
    void aSingleInputFileIsSpreadOverSeveralTasksWithTheSameOutput() throws Exception {
        Path samples = JobRuns.FIXTURE.getParent().getParent().resolve("samples/prompts.parquet");
        assertTrue(Files.isRegularFile(samples), samples.toString());
        SparkSession spark = SPARK.session();
        assertEquals(1, spark.read().parquet(samples.toString()).javaRDD().getNumPartitions());
        String[] common = {"--input", samples.toString(), "--max-new-tokens", "4", "--temperature", "0.7"};
        RunSummary auto = JobRuns.run(spark, concat(common, "--output", dir.resolve("auto").toString()));
        JobRuns.run(spark, concat(common, "--output", dir.resolve("one").toString(), "--partitions", "1"));
        assertEquals(40, auto.rowsTotal());
        assertEquals(5, partFiles(dir.resolve("auto")), "40 rows, 2 slots, batches of 8");
        assertEquals(1, partFiles(dir.resolve("one")));
        JobRuns.assertSameOutput(spark, dir.resolve("one"), dir.resolve("auto"));
    }

    private static long partFiles(Path output) throws Exception {
        try (Stream<Path> files = Files.list(output)) {
            return files.filter(f -> f.getFileName().toString().startsWith("part-")).count();
        }
    }

    private static JobConfig config(int maxNewTokens, int maxBatch) {
        return RunCommand.parse("--model", JobRuns.FIXTURE.toString(), "--max-new-tokens",
                String.valueOf(maxNewTokens), "--max-batch", String.valueOf(maxBatch));
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }
}
