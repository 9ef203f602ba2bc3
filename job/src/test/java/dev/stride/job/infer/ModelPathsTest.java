package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunCommand;
import dev.stride.job.RunSummary;
import dev.stride.job.TestPrompts;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.config.OptionNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** --model and --heads: checked on the driver before any task, local paths made absolute, Hadoop URIs copied. */
class ModelPathsTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    @TempDir
    static Path shared;
    private static Path input;
    private static final List<Path> CACHED = new java.util.ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void writeInput() {
        input = TestPrompts.write(SPARK.session(), TestPrompts.good(), shared.resolve("in"));
    }

    @AfterAll
    static void dropCachedCopies() throws IOException {
        for (Path copy : CACHED) {
            try (Stream<Path> files = Files.walk(copy.getParent())) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void aRelativeModelPathIsMadeAbsoluteOnTheDriver() {
        Path relative = Path.of("").toAbsolutePath().relativize(JobRuns.FIXTURE.toAbsolutePath().normalize());
        assertFalse(relative.isAbsolute());
        JobConfig checked = ModelSource.check(SPARK.session(), RunCommand.parse("--model", relative.toString()),
                OptionNames.CLI);
        assertEquals(JobRuns.FIXTURE.toAbsolutePath().normalize().toString(), checked.model());
    }

    @Test
    void aMissingModelDirectoryIsOneClearErrorBeforeAnyTask() {
        JobSetupException error = noTaskStarts(() -> JobRuns.run(SPARK.session(), "--model", "models/no-such-model",
                "--input", input.toString(), "--output", dir.resolve("out").toString()));
        String absolute = Path.of("models/no-such-model").toAbsolutePath().toString();
        assertTrue(error.getMessage().contains("--model models/no-such-model: no directory " + absolute),
                error.getMessage());
        assertTrue(error.getMessage().contains("driver's working directory"), error.getMessage());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void aDirectoryWithoutConfigJsonIsNamedWithWhatIsMissing() throws IOException {
        Path model = Files.createDirectories(dir.resolve("half-model"));
        Files.copy(JobRuns.FIXTURE.resolve("tokenizer.json"), model.resolve("tokenizer.json"));
        JobSetupException error = noTaskStarts(() -> JobRuns.run(SPARK.session(), "--model", model.toString(),
                "--input", input.toString(), "--output", dir.resolve("out").toString()));
        assertTrue(error.getMessage().startsWith("--model " + model + ": no config.json, no *.safetensors in it"),
                error.getMessage());

        JobSetupException heads = assertThrows(JobSetupException.class, () -> ModelSource.check(SPARK.session(),
                RunCommand.parse("--model", JobRuns.FIXTURE.toString(), "--heads", model.toString()), OptionNames.CLI));
        assertTrue(heads.getMessage().startsWith("--heads " + model + ": no config.json"), heads.getMessage());
    }

    @Test
    void aMissingTreeFileIsOneClearErrorBeforeAnyTask() throws IOException {
        Path heads = JobRuns.FIXTURE.resolveSibling("fortunes-llama-2m-heads");
        String[] run = {"--input", input.toString(), "--output", dir.resolve("out").toString(), "--heads",
            heads.toString(), "--tree"};
        String absolute = Path.of("no-such-tree.json").toAbsolutePath().toString();
        JobSetupException missing = noTaskStarts(() -> JobRuns.run(SPARK.session(),
                concat(run, "file:no-such-tree.json")));
        assertTrue(missing.getMessage().startsWith("--tree file:no-such-tree.json: no file " + absolute),
                missing.getMessage());
        assertTrue(missing.getMessage().contains("driver's working directory"), missing.getMessage());

        Path notJson = Files.writeString(dir.resolve("tree.json"), "[[0], [1");
        JobSetupException malformed = noTaskStarts(() -> JobRuns.run(SPARK.session(),
                concat(run, "file:" + notJson)));
        assertTrue(malformed.getMessage().contains("cannot read JSON"), malformed.getMessage());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void aRelativeTreeFileIsMadeAbsoluteOnTheDriverAndPlainDecodingIgnoresIt() {
        Path tree = JobRuns.FIXTURE.resolveSibling("fortunes-llama-2m-heads").resolve("tree.json");
        Path relative = Path.of("").toAbsolutePath().relativize(tree.toAbsolutePath().normalize());
        JobConfig checked = ModelSource.check(SPARK.session(), RunCommand.parse("--model", JobRuns.FIXTURE.toString(),
                "--heads", tree.getParent().toString(), "--tree", "file:" + relative), OptionNames.CLI);
        assertEquals("file:" + tree.toAbsolutePath().normalize(), checked.tree());
        JobConfig plain = ModelSource.check(SPARK.session(), RunCommand.parse("--model", JobRuns.FIXTURE.toString(),
                "--mode", "ar", "--tree", "file:no-such-tree.json"), OptionNames.CLI);
        assertEquals("file:no-such-tree.json", plain.tree());
    }

    @Test
    void aMissingUriIsOneClearError() {
        String uri = dir.resolve("nowhere").toUri().toString();
        JobSetupException error = noTaskStarts(() -> JobRuns.run(SPARK.session(), "--model", uri,
                "--input", input.toString(), "--output", dir.resolve("out").toString()));
        assertEquals("--model " + uri + ": no such directory", error.getMessage());
    }

    @Test
    void aGgufFileIsOneClearErrorThatSaysHowToImportIt() {
        String gguf = dir.resolve("model.Q8_0.gguf").toUri().toString();
        JobSetupException error = noTaskStarts(() -> JobRuns.run(SPARK.session(), "--model", gguf,
                "--input", input.toString(), "--output", dir.resolve("out").toString()));
        assertTrue(error.getMessage().startsWith("--model " + gguf + ": a GGUF file")
                && error.getMessage().contains("stride import-gguf"), error.getMessage());
    }

    @Test
    void aModelGivenAsAFileUriIsCopiedToTheExecutorAndGivesTheSameOutput() throws IOException {
        Path remote = Files.createDirectories(dir.resolve("remote").resolve(JobRuns.FIXTURE.getFileName()));
        try (Stream<Path> files = Files.list(JobRuns.FIXTURE)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, remote.resolve(file.getFileName()));
            }
        }
        String uri = remote.toUri().toString();
        String[] common = {"--input", input.toString(), "--max-new-tokens", "4", "--temperature", "0.6"};
        RunSummary viaUri = JobRuns.run(SPARK.session(), concat(common, "--model", uri, "--output",
                dir.resolve("uri").toString()));
        JobRuns.run(SPARK.session(), concat(common, "--output", dir.resolve("path").toString()));
        Path copy = ModelCache.jvm().local(uri);
        CACHED.add(copy);
        assertTrue(copy.startsWith(ModelCache.root(new SparkConf())), copy.toString());
        assertEquals(uri, viaUri.model().path());
        assertEquals(JobRuns.FIXTURE.getFileName().toString(), viaUri.model().name());
        assertEquals(TestPrompts.good().size(), viaUri.rowsOk());
        JobRuns.assertSameOutput(SPARK.session(), dir.resolve("path"), dir.resolve("uri"));
    }

    private static JobSetupException noTaskStarts(Runnable run) {
        AtomicInteger started = new AtomicInteger();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart taskStart) {
                started.incrementAndGet();
            }
        };
        SparkSession spark = SPARK.session();
        spark.sparkContext().addSparkListener(listener);
        try {
            JobSetupException error = assertThrows(JobSetupException.class, run::run);
            try {
                spark.sparkContext().listenerBus().waitUntilEmpty();
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(e);
            }
            assertEquals(0, started.get(), "tasks started before the error");
            return error;
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Stream.of(first), Stream.of(more)).toArray(String[]::new);
    }
}
