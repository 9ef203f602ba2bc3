package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stride.decoder.cli.StrideCli;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunCommand;
import dev.stride.job.TestHeads;
import dev.stride.job.config.JobConfig;
import dev.stride.job.ml.StrideGenerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One engine per model per JVM, but not one per path: a long-lived executor (a notebook, Spark Connect, repeated
 * {@code transform} calls) must notice a model or heads directory rewritten in place and load what is there now.
 */
class ModelRegistryTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    @TempDir
    static Path shared;
    /** Two random models of one shape (same file sizes), different weights. */
    private static Path modelOne;
    private static Path modelTwo;
    private static final Set<Path> CACHED = new LinkedHashSet<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void writeModels() {
        modelOne = randomModel(shared.resolve("one"), 1);
        modelTwo = randomModel(shared.resolve("two"), 2);
    }

    @AfterAll
    static void dropCachedCopies() throws IOException {
        for (Path copy : CACHED) {
            deleteRecursively(copy.getParent());
        }
    }

    @Test
    void aModelDirectoryRewrittenInPlaceIsLoadedAgain() throws IOException {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("model")));
        String[] args = {"--model", model.toString(), "--input", "in", "--output", "out"};
        Engine before = engine(args);
        assertSame(before, engine(args), "an unchanged directory is not reloaded");

        copyInto(modelTwo, model);
        Engine after = engine(args);
        assertNotSame(before, after);
        assertSameWeights(modelTwo, null, after, ModelRegistryTest::embedding);
        assertSame(after, engine(args));
    }

    @Test
    void aHeadsDirectoryRewrittenInPlaceIsLoadedAgain() throws IOException {
        Path headsOne = TestHeads.write(dir.resolve("heads-one"), 2, 7);
        Path headsTwo = TestHeads.write(dir.resolve("heads-two"), 2, 8);
        Path heads = copyInto(headsOne, Files.createDirectories(dir.resolve("heads")));
        String[] args = {"--model", JobRuns.FIXTURE.toString(), "--heads", heads.toString(), "--input", "in",
            "--output", "out"};
        Engine before = engine(args);

        copyInto(headsTwo, heads);
        Engine after = engine(args);
        assertNotSame(before, after);
        assertSameWeights(JobRuns.FIXTURE, headsTwo, after, ModelRegistryTest::firstHead);
    }

    @Test
    void aModelGivenAsAUriAndRewrittenAtTheSourceIsCopiedAndLoadedAgain() throws IOException {
        Path source = copyInto(modelOne, Files.createDirectories(dir.resolve("remote/model")));
        String[] args = {"--model", source.toUri().toString(), "--input", "in", "--output", "out"};
        Engine before = engine(args);
        CACHED.add(before.modelDir());
        assertSame(before, engine(args));

        copyInto(modelTwo, source);
        Engine after = engine(args);
        CACHED.add(after.modelDir());
        assertNotSame(before, after);
        assertFalse(before.modelDir().equals(after.modelDir()), "a changed source gets a new copy");
        assertSameWeights(modelTwo, null, after, ModelRegistryTest::embedding);
    }

    /**
     * A second run in the same JVM (a notebook, Spark Connect) with another --threads ran on the engine loaded with
     * the first run's threads. The first engine, superseded, is closed.
     */
    @Test
    void anotherThreadCountLoadsTheEngineWithIt() throws IOException {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("threads")));
        String[] args = {"--model", model.toString(), "--input", "in", "--output", "out", "--threads", "1"};
        Engine one = engine(args);
        assertEquals(1, one.threads());
        args[args.length - 1] = "2";
        assertEquals(2, engine(args).threads());
        assertClosed(one);
    }

    /**
     * An engine superseded by a reload of its location is closed once no task holds it: kept, each reload held its
     * weights until the JVM exited.
     */
    @Test
    void anEngineSupersededByAReloadIsClosedOnceNoTaskHoldsIt() throws IOException {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("superseded")));
        String[] args = {"--model", model.toString(), "--input", "in", "--output", "out"};
        JobConfig config = RunCommand.parse(args);
        ModelRegistry.Lease held = ModelRegistry.lease(config);
        Engine before = held.engine();
        copyInto(modelTwo, model);
        Engine after = engine(args);
        assertNotSame(before, after);
        before.newDecoder(config.decoderOptions()).close(); // a task still decoding with it is not cut off
        held.close();
        assertClosed(before);
        after.newDecoder(config.decoderOptions()).close(); // the current engine stays, held or not

        copyInto(modelOne, model);
        assertNotSame(after, engine(args));
        assertClosed(after);
    }

    /** A run's tasks and its model probe give their engine back when done: one still held would never close. */
    @Test
    void aRunGivesItsEngineBack() throws IOException {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("run")));
        Path input = dir.resolve("in");
        SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt from range(4)").write()
                .parquet(input.toString());
        String[] args = {"--model", model.toString(), "--input", input.toString(), "--output",
            dir.resolve("out").toString(), "--max-new-tokens", "2", "--partitions", "2"};
        JobRuns.run(SPARK.session(), args);
        int loads = ModelRegistry.loads();
        Engine ran = engine(args);
        assertEquals(loads, ModelRegistry.loads(), "the run's engine");

        copyInto(modelTwo, model);
        assertNotSame(ran, engine(args));
        assertClosed(ran);
    }

    /**
     * A task computing several partitions of a transform (a coalesce after it, to write fewer files) gives each
     * partition's engine back once its rows are done: all were held, with their decoders and pass buffers, until the
     * task ended, so an engine superseded meanwhile was not closed either.
     */
    @Test
    void aTaskGivesEachPartitionsEngineBackOnceItsRowsAreDone() throws IOException {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("coalesced")));
        String modelDir = model.toString();
        String[] args = {"--model", modelDir, "--input", "in", "--output", "out"};
        Dataset<Row> prompts = SPARK.session().sql("select concat('r', id) as id, 'Life is' as prompt from range(6)")
                .repartition(3);
        Dataset<Row> generated = new StrideGenerator().setModel(modelDir).setMaxNewTokens(2).transform(prompts)
                .coalesce(1);
        List<String> seen = generated.mapPartitions((MapPartitionsFunction<Row, String>) rows -> {
            int count = 0;
            for (; rows.hasNext(); rows.next()) {
                count++;
            }
            // Every row is out and the task still runs: a reload of the model closes the engine they came from.
            Engine generating = engine(args);
            copyInto(modelTwo, Path.of(modelDir));
            engine(args);
            return List.of(count + " rows, engine " + (isClosed(generating) ? "closed" : "open")).iterator();
        }, Encoders.STRING()).collectAsList();
        assertEquals(List.of("6 rows, engine closed"), seen);
    }

    private static boolean isClosed(Engine engine) {
        try {
            engine.newDecoder(RunCommand.parse("--input", "in", "--output", "out").decoderOptions()).close();
            return false;
        } catch (IllegalStateException e) {
            return e.getMessage().endsWith("is closed");
        }
    }

    /** The engine of this run, leased and given back at once (a task that has finished). */
    private static Engine engine(String[] args) {
        try (ModelRegistry.Lease lease = ModelRegistry.lease(RunCommand.parse(args))) {
            return lease.engine();
        }
    }

    private static void assertClosed(Engine engine) {
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> engine.newDecoder(RunCommand.parse("--input", "in", "--output", "out").decoderOptions()));
        assertTrue(closed.getMessage().endsWith("is closed"), closed.getMessage());
    }

    /** Asserts {@code engine} holds the weights a fresh engine reads from these directories, not the ones before. */
    /**
     * A task waiting for another task's load of its model ends when Spark kills (interrupts) it: the load ran inside
     * ConcurrentHashMap.computeIfAbsent, where the waiting task sat, interrupt or not, until the load was done. The
     * load here blocks on a generation_config.json that is a named pipe until the test writes it.
     */
    @Test
    void aTaskWaitingForAnotherTasksLoadEndsWhenInterrupted() throws Exception {
        Path model = copyInto(modelOne, Files.createDirectories(dir.resolve("held")));
        Path pipe = model.resolve("generation_config.json");
        String text = Files.readString(pipe);
        Files.delete(pipe);
        assumeTrue(new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor() == 0, "needs mkfifo");
        String[] args = {"--model", model.toString(), "--input", "in", "--output", "out"};
        AtomicReference<Throwable> loaderFailure = new AtomicReference<>();
        AtomicReference<Throwable> waiterFailure = new AtomicReference<>();
        Thread loader = engineThread(args, loaderFailure);
        Thread waiter = engineThread(args, waiterFailure);
        Thread feeder = new Thread(() -> {
            try {
                Files.writeString(pipe, text); // opening the pipe for writing lets the load's read go on
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        feeder.setDaemon(true);
        loader.start();
        Thread.sleep(500);
        assertTrue(loader.isAlive(), "the load waits on the pipe: " + loaderFailure.get());
        try {
            waiter.start();
            Thread.sleep(300);
            waiter.interrupt();
            waiter.join(10_000);
            assertFalse(waiter.isAlive(), "the interrupted task still waits for the other task's load");
            assertTrue(loader.isAlive(), "the load is still held");
            assertTrue(waiterFailure.get() instanceof IllegalStateException
                    && waiterFailure.get().getMessage().contains("interrupted while waiting for model"),
                    String.valueOf(waiterFailure.get()));
        } finally {
            feeder.start();
            loader.join(60_000);
            waiter.join(60_000);
        }
        assertFalse(loader.isAlive() || waiter.isAlive(), "the load and the waiter ended");
        assertEquals(null, loaderFailure.get(), "the load itself finished");
    }

    private static Thread engineThread(String[] args, AtomicReference<Throwable> failure) {
        Thread thread = new Thread(() -> {
            try {
                engine(args);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        thread.setDaemon(true);
        return thread;
    }

    private static void assertSameWeights(Path modelDir, Path headsDir, Engine engine,
                                          Function<Engine, WeightMatrix> matrix) {
        try (Engine fresh = Engine.load(EngineOptions.cpu(modelDir, headsDir))) {
            float[] expected = firstRow(matrix.apply(fresh));
            assertArrayEquals(expected, firstRow(matrix.apply(engine)));
        }
    }

    private static WeightMatrix embedding(Engine engine) {
        return engine.model().weights().embedding();
    }

    private static WeightMatrix firstHead(Engine engine) {
        return engine.heads().orElseThrow().projections()[0];
    }

    private static float[] firstRow(WeightMatrix matrix) {
        float[] row = new float[matrix.cols()];
        matrix.loadRow(0, row);
        assertFalse(Arrays.equals(row, new float[row.length]), "an all-zero row compares nothing");
        return row;
    }

    private static Path randomModel(Path out, long seed) {
        assertEquals(0, StrideCli.run("random-model", "--out", out.toString(), "--shape", "tiny", "--seed",
                String.valueOf(seed)));
        return out;
    }

    /** Overwrites {@code to}'s files with {@code from}'s, in place (the way a re-export rewrites a model). */
    private static Path copyInto(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return to;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
