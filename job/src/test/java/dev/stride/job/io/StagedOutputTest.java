package dev.stride.job.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunSummary;
import dev.stride.job.ScanAudit;
import dev.stride.job.TestPrompts;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.infer.PartitionGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Part files reach the output whole, once and checked, whatever fails; --resume publishes what a dead run left. */
class StagedOutputTest {

    /** Two cores, no task retries: one failing task fails the run. */
    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    @TempDir
    Path dir;

    @Test
    void aFailedRunPublishesNothingAndResumeFinishesWithTheCommittedTasksOfTheFailedRun() throws IOException {
        Path input = TestPrompts.write(SPARK.session(), TestPrompts.all(), dir.resolve("in"));
        String[] args = {"--input", input.toString(), "--max-new-tokens", "4", "--partitions", "4",
            "--temperature", "0.5"};
        Path clean = dir.resolve("clean");
        JobRuns.run(SPARK.session(), with(args, "--output", clean.toString()));
        assertEquals(List.of("_SUCCESS", "_stride"), hidden(clean));
        assertFalse(Files.exists(clean.resolve("_stride/staging")), "a finished run leaves no staging folder");

        // Partitions 0 and 1 run first on the two cores; partition 2 starts only after one of them has committed.
        Path output = dir.resolve("out");
        System.setProperty(PartitionGenerator.FAIL_PARTITION, "2");
        try {
            assertThrows(Exception.class, () -> JobRuns.run(SPARK.session(), with(args,
                    "--output", output.toString())));
        } finally {
            System.clearProperty(PartitionGenerator.FAIL_PARTITION);
        }
        assertEquals(List.of(), partFiles(output), "a failed run must not publish any part file");
        List<Path> leftovers;
        try (Stream<Path> files = Files.walk(output.resolve("_stride/staging"), 2)) {
            leftovers = files.filter(f -> f.getFileName().toString().startsWith("part-")).toList();
        }
        assertFalse(leftovers.isEmpty(), "the tasks that committed before the failure left their files in staging");

        RunSummary resumed = JobRuns.run(SPARK.session(), with(args, "--output", output.toString(),
                "--resume"));
        JobRuns.assertSameOutput(SPARK.session(), clean, output);
        assertEquals(TestPrompts.all().size(), resumed.rowsTotal());
        long generatedNow = resumed.perExecutor().stream().mapToLong(RunSummary.ExecutorSummary::rows).sum();
        assertTrue(generatedNow < TestPrompts.all().size(), "the dead run's committed rows were kept, not redone: "
                + generatedNow);
        assertFalse(Files.exists(output.resolve("_stride/staging")));
    }

    @Test
    void stagedRowsWhoseIdsAreAlreadyPublishedAreRefused() throws IOException {
        Path input = TestPrompts.write(SPARK.session(), TestPrompts.all(), dir.resolve("in"));
        Path output = dir.resolve("out");
        String[] args = {"--input", input.toString(), "--max-new-tokens", "2", "--output", output.toString()};
        JobRuns.run(SPARK.session(), args);
        // A staging folder holding a copy of a published part file: publishing it would duplicate its rows.
        Path part = partFiles(output).get(0);
        Path staging = Files.createDirectories(output.resolve("_stride/staging/copy"));
        Files.copy(part, staging.resolve(part.getFileName()));

        String[] resume = with(args, "--resume");
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> JobRuns.run(SPARK.session(), resume));
        assertTrue(refused.getMessage().contains("already in the output"), refused.getMessage());
        List<Row> ids = SPARK.session().read().parquet(output.toString()).select("id").collectAsList();
        assertEquals(TestPrompts.all().size(), ids.size());
        assertEquals(ids.size(), ids.stream().distinct().count());
    }

    @Test
    void resumeRefusesStagedFilesWithOtherColumnsBeforeAnyWork() throws IOException {
        Path input = TestPrompts.write(SPARK.session(), TestPrompts.all(), dir.resolve("in"));
        Path keptPrompt = dir.resolve("kept-prompt");
        String[] args = {"--input", input.toString(), "--max-new-tokens", "2"};
        JobRuns.run(SPARK.session(), with(args, "--output", keptPrompt.toString(), "--keep-columns", "prompt"));
        // What a run with --keep-columns prompt leaves when it dies after one task committed and none published.
        Path output = dir.resolve("out");
        Path staging = Files.createDirectories(output.resolve("_stride/staging/dead-run"));
        Path part = partFiles(keptPrompt).get(0);
        Files.copy(part, staging.resolve(part.getFileName()));

        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(SPARK.session(),
                with(args, "--output", output.toString(), "--resume")));
        assertTrue(refused.getMessage().contains("staged by a run that stopped")
                && refused.getMessage().contains("prompt"), refused.getMessage());
        assertEquals(List.of(), partFiles(output), "nothing was published");
        assertTrue(Files.exists(staging.resolve(part.getFileName())), "the staged file is kept for the right resume");
        JobRuns.run(SPARK.session(), with(args, "--output", output.toString(), "--resume", "--keep-columns",
                "prompt"));
        JobRuns.assertSameOutput(SPARK.session(), keptPrompt, output);
    }

    /**
     * A --resume started while the run it would finish still runs (a scheduler's retry of a live attempt) published
     * the live run's committed files as a dead run's and generated its rows again; it is refused, naming that run,
     * before it touches the output.
     */
    @Test
    void resumeBesideALiveRunIsRefusedBeforeTouchingTheOutput() throws IOException {
        Path input = TestPrompts.write(SPARK.session(), TestPrompts.all(), dir.resolve("in"));
        Path output = dir.resolve("out");
        String[] args = {"--input", input.toString(), "--max-new-tokens", "2", "--partitions", "2", "--output",
            output.toString()};
        JobRuns.run(SPARK.session(), args);
        assertEquals(List.of("summary.json", "summary.parquet"), names(output.resolve("_stride")),
                "a finished run releases its lock");
        // The live run: it holds the lock and one of its tasks has committed a file into its staging folder.
        Path live = partFiles(output).get(0);
        Path staging = Files.createDirectories(output.resolve("_stride/staging/live-run"));
        Files.move(live, staging.resolve(live.getFileName()));
        OutputLock lock = OutputLock.take(SPARK.session().sparkContext().hadoopConfiguration(),
                new org.apache.hadoop.fs.Path(output.toUri()), "live-run", "app-live", java.time.Clock.systemUTC());

        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(SPARK.session(),
                with(args, "--resume")));
        assertTrue(refused.getMessage().contains("is in use by run live-run (Spark application app-live"),
                refused.getMessage());
        assertTrue(Files.exists(staging.resolve(live.getFileName())), "the live run's staged file stays its own");
        assertEquals(1, partFiles(output).size(), "nothing was published or generated");
        lock.requireHeld();
        lock.close();
    }

    /**
     * Column names alone do not make part files readable together: a kept column whose type changed since the run
     * that is resumed left the output with files a reader cannot read as one dataset.
     */
    @Test
    void resumeRefusesAKeptColumnOfAnotherTypeBeforeAnyWork() throws IOException {
        Path strings = dir.resolve("strings");
        SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt, cast(id as string) as category "
                + "from range(4)").write().parquet(strings.toString());
        Path output = dir.resolve("out");
        String[] args = {"--max-new-tokens", "2", "--partitions", "2", "--output", output.toString()};
        JobRuns.run(SPARK.session(), with(args, "--input", strings.toString()));
        Files.delete(partFiles(output).get(0));
        Path ints = dir.resolve("ints");
        SPARK.session().read().parquet(strings.toString()).selectExpr("id", "prompt", "cast(category as int) category")
                .write().parquet(ints.toString());

        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(SPARK.session(),
                with(args, "--input", ints.toString(), "--resume")));
        assertTrue(refused.getMessage().contains("category:string") && refused.getMessage().contains("category:int"),
                refused.getMessage());
        assertEquals(1, partFiles(output).size(), "nothing was published");
    }

    /**
     * A part file cut short (a copy or an upload that stopped) made --resume fail inside a task with a SparkException
     * that named the file deep in its cause; it is a setup error naming the file, before any work.
     */
    @Test
    void resumeRefusesAPartFileThatIsNotReadableParquetBeforeAnyWork() throws IOException {
        Path input = dir.resolve("in");
        SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt from range(4)").write()
                .parquet(input.toString());
        Path output = dir.resolve("out");
        String[] args = {"--input", input.toString(), "--max-new-tokens", "2", "--partitions", "2", "--output",
            output.toString()};
        JobRuns.run(SPARK.session(), args);
        // The second of the two: Spark infers the columns from one file only, so the first is read up front.
        Path truncated = partFiles(output).get(1);
        byte[] bytes = Files.readAllBytes(truncated);
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length / 2));
        Files.deleteIfExists(truncated.resolveSibling("." + truncated.getFileName() + ".crc"));

        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(SPARK.session(),
                with(args, "--resume")));
        assertTrue(refused.getMessage().startsWith("output file ") && refused.getMessage().contains(
                truncated.getFileName() + " is not a readable Parquet file"), refused.getMessage());
        assertEquals(2, partFiles(output).size(), "nothing was published");
        assertFalse(Files.exists(output.resolve("_stride/staging")), "nothing was generated");
    }

    /**
     * --resume reads the columns of every part file a dead run left in staging: one Spark job per file (schema
     * inference) made thousands of jobs before any work after a large run. They come from the files' footers, the
     * same columns Spark reads, types of every kind.
     */
    @Test
    void leftoverColumnsAreReadFromFootersWithoutSparkJobs() throws IOException {
        Path output = dir.resolve("out");
        Path staging = output.resolve("_stride/staging");
        SPARK.session().sql("select concat('r', id) as id, cast(id as int) as n, cast(id as decimal(12, 3)) as price, "
                + "timestamp'2026-01-02 03:04:05' as at, array(named_struct('token', 'a', 'p', 0.5d)) as logprobs, "
                + "map('k', id) as tags, cast(id as tinyint) as small, date'2026-01-02' as day, binary('b') as raw "
                + "from range(6)").repartition(3).write().parquet(staging.resolve("dead-one").toString());
        SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt from range(2)").repartition(2).write()
                .parquet(staging.resolve("dead-two").toString());
        StagedOutput staged = new StagedOutput(SPARK.session(), output.toString());

        ScanAudit audit = ScanAudit.register(SPARK.session().sparkContext());
        Set<List<String>> columns;
        try {
            columns = staged.leftoverColumns();
            assertEquals(List.of(), audit.stages(), "Spark jobs before any work");
        } finally {
            audit.close();
        }
        Set<List<String>> sparks = new LinkedHashSet<>();
        try (Stream<Path> parts = Files.walk(staging)) {
            for (Path part : parts.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
                sparks.add(JobSchema.describe(SPARK.session().read().parquet(part.toString()).schema()));
            }
        }
        assertEquals(2, sparks.size());
        assertEquals(sparks, columns);
    }

    /** The publish check reads the staged ids once: counting them and looking them up in the output read them twice. */
    @Test
    void publishReadsTheStagedIdsOnce() {
        Path output = dir.resolve("out");
        StagedOutput staged = new StagedOutput(SPARK.session(), output.toString());
        Dataset<Row> rows = SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt from range(6)");
        staged.publish(staged.write(rows.where("id in ('r0', 'r1')")), rows.schema(), 2);
        org.apache.hadoop.fs.Path staging = staged.write(rows.where("id not in ('r0', 'r1')"));

        ScanAudit audit = ScanAudit.register(SPARK.session().sparkContext());
        try {
            staged.publish(staging, rows.schema(), 4);
            // Its 4 staged ids and the output's 2, each once (before: 10, the staged ones twice).
            assertEquals(6, audit.recordsReadFrom(staging.toUri().getPath()), audit.table(Map.of()));
        } finally {
            audit.close();
        }
        assertEquals(6, SPARK.session().read().parquet(output.toString()).distinct().count());
    }

    @Test
    void publishRefusesStagedRowsWithOneIdTwice() {
        Path output = dir.resolve("out");
        StagedOutput staged = new StagedOutput(SPARK.session(), output.toString());
        Dataset<Row> rows = SPARK.session().sql("select concat('r', id % 3) as id, 'Life is' as prompt from range(4)");
        org.apache.hadoop.fs.Path staging = staged.write(rows);
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> staged.publish(staging, rows.schema(), 4));
        assertTrue(refused.getMessage().endsWith("holds 4 rows but only 3 distinct ids; nothing was published"),
                refused.getMessage());
    }

    private static String[] with(String[] args, String... more) {
        return Stream.concat(Stream.of(args), Stream.of(more)).toArray(String[]::new);
    }

    private static List<Path> partFiles(Path output) throws IOException {
        try (Stream<Path> files = Files.list(output)) {
            return files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().toList();
        }
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(f -> f.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
        }
    }

    /** The names in the output folder that are not part files or checksums. */
    private static List<String> hidden(Path output) throws IOException {
        try (Stream<Path> files = Files.list(output)) {
            return files.map(f -> f.getFileName().toString())
                    .filter(name -> !name.startsWith("part-") && !name.startsWith(".")).sorted().toList();
        }
    }
}
