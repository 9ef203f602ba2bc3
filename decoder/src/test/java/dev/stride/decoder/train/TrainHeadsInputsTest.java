package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.cli.StrideCli;
import dev.stride.decoder.safetensors.TensorInfo;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad inputs to {@code stride train-heads} fail up front with a message that names the file at fault. */
class TrainHeadsInputsTest {

    @Test
    void promptFilesAreReadAsJsonlOrText(@TempDir Path dir) throws IOException {
        Path jsonl = Files.writeString(dir.resolve("p.jsonl"), "{\"prompt\": \"Life is\"}\n\n{\"prompt\": \"A\\nB\"}\n");
        Path text = Files.writeString(dir.resolve("p.txt"), "Life is\n\nNever\n");
        assertEquals(List.of("Life is", "A\nB"), TrainingPrompts.read(jsonl));
        assertEquals(List.of("Life is", "Never"), TrainingPrompts.read(text));
    }

    /** The conversion the Parquet refusal suggests: Spark's JSON writer's part file reads as JSONL. */
    @Test
    void aSparkJsonPartFileReadsAsJsonl(@TempDir Path dir) throws IOException {
        Path part = Files.writeString(dir.resolve("part-00000-b53b3664-3d2a-41f8-b3d5-be78396931e6-c000.json"),
                "{\"prompt\":\"A fool and his money\"}\n{\"prompt\":\"You will be\"}\n");
        assertEquals(List.of("A fool and his money", "You will be"), TrainingPrompts.read(part));
    }

    /** A UTF-8 byte-order mark is no part of the first prompt: it made a text prompt start with U+FEFF. */
    @Test
    void aByteOrderMarkIsNotPartOfTheFirstPrompt(@TempDir Path dir) throws IOException {
        Path jsonl = Files.writeString(dir.resolve("p.jsonl"), "\uFEFF{\"prompt\": \"Life is\"}\r\n");
        Path text = Files.writeString(dir.resolve("p.txt"), "\uFEFFLife is\r\nNever");
        assertEquals(List.of("Life is"), TrainingPrompts.read(jsonl));
        assertEquals(List.of("Life is", "Never"), TrainingPrompts.read(text));
    }

    /**
     * UTF-16 text without a byte-order mark is valid UTF-8 with a NUL after every ASCII letter: a .txt file of it
     * trained on prompts such as "L\0i\0f\0e\0" and "\0" without a word.
     */
    @Test
    void utf16TextIsRefusedNamingTheFileAndLine(@TempDir Path dir) throws IOException {
        for (String name : new String[] {"p.txt", "p.jsonl"}) {
            Path file = Files.write(dir.resolve(name),
                    "{\"prompt\": \"Life is\"}\n".getBytes(StandardCharsets.UTF_16LE));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPrompts.read(file));
            assertTrue(e.getMessage().contains(file + " line 1: a NUL character"), e.getMessage());
        }
    }

    @Test
    void emptyOrUnsupportedPromptFilesAreRejected(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.jsonl"), "\n\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingPrompts.read(empty));
        assertTrue(e.getMessage().contains(empty.toString()), e.getMessage());
        Path parquet = Files.write(dir.resolve("prompts.parquet"), new byte[] {'P', 'A', 'R', '1'});
        e = assertThrows(IllegalArgumentException.class, () -> TrainingPrompts.read(parquet));
        assertTrue(e.getMessage().contains(parquet.toString()) && e.getMessage().contains("JSONL"), e.getMessage());
        Path badLine = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"ok\"}\n{\"text\": \"no\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> TrainingPrompts.read(badLine));
        assertTrue(e.getMessage().contains(badLine + " line 2"), e.getMessage());
    }

    @Test
    void commandReportsAnEmptyPromptFileByPath(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("prompts.txt"), "");
        Path out = dir.resolve("heads");
        String err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                "--prompts", empty.toString());
        assertTrue(err.contains(empty.toString()) && err.contains("no prompts"), err);
        assertFalse(Files.exists(out), "refused before the output directory is made");
        err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                "--eval-prompts", empty.toString());
        assertTrue(err.contains(empty.toString()) && err.contains("no prompts"), err);
        assertFalse(Files.exists(out), "--eval-prompts: refused before the output directory is made");
    }

    @Test
    void commandReportsAnUnwritableOutputDirectoryByPath(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Path out = file.resolve("heads");
        String err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString());
        assertTrue(err.contains(out.toString()) && err.contains("output directory"), err);
    }

    /**
     * Options the measurement after training needs, training settings and shares out of range are checked before
     * anything runs.
     */
    @Test
    void badOptionsAreRefusedBeforeTraining(@TempDir Path dir) {
        String[][] cases = {
            {"--eval-max-batch", "0"}, {"--eval-max-new-tokens", "0"}, {"--eval-tree", "foo:1"},
            {"--eval-tree", "chain:2"}, {"--held-out", "NaN"}, {"--held-out", "0"}, {"--greedy-share", "NaN"},
            {"--lr", "0"}, {"--lr", "NaN"}, {"--lr", "Infinity"}, {"--warmup-steps", "-1"}, {"--warmup-steps", "2"},
            {"--warmup-steps", "5"},
            {"--max-grad-norm", "-1"}, {"--max-grad-norm", "NaN"}, {"--weight-decay", "-0.1"},
            {"--head-decay", "NaN"},
        };
        for (String[] bad : cases) {
            Path out = dir.resolve("heads");
            String err = refused("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                    "--heads", "1", "--samples", "2", "--max-new-tokens", "4", "--steps", "2", "--batch-size", "8",
                    "--threads", "1", bad[0], bad[1]);
            assertTrue(err.contains("stride: " + bad[0] + " " + bad[1]) || err.contains("stride: " + bad[0] + " must"),
                    err);
            assertFalse(Files.exists(out), bad[0] + " " + bad[1] + ": refused before the output directory is made");
        }
    }

    /**
     * Decoupled weight decay multiplies the blocks' matrices by 1 - lr * decay each step: a product of 1 or more
     * zeroes or flips them, so the pair is refused before anything runs. --lr 0.01 --weight-decay 200 trained, flipping
     * every matrix's sign at each step, and saved the heads with exit 0.
     */
    @Test
    void aWeightDecayThatZeroesOrFlipsTheWeightsIsRefused(@TempDir Path dir) {
        for (String decay : new String[] {"200", "100"}) {
            Path out = dir.resolve("heads");
            String err = refused(tinyTraining(Fixtures.modelDir(), out, "--lr", "0.01", "--weight-decay", decay));
            assertTrue(err.contains("stride: --lr 0.01 with --weight-decay " + Double.parseDouble(decay)), err);
            assertFalse(Files.exists(out), "--weight-decay " + decay + ": refused before the output directory is made");
        }
    }

    /** Step and batch counts are checked with the other options, by name, before the output directory is made. */
    @Test
    void nonPositiveStepsOrBatchSizeAreRefusedByNameBeforeAnythingRuns(@TempDir Path dir) {
        String[][] cases = {{"--steps", "0"}, {"--steps", "-5"}, {"--batch-size", "0"}};
        for (String[] bad : cases) {
            Path out = dir.resolve("heads");
            List<String> args = new ArrayList<>(Arrays.asList(tinyTraining(Fixtures.modelDir(), out)));
            args.set(args.indexOf(bad[0]) + 1, bad[1]);
            String err = refused(args.toArray(new String[0]));
            assertTrue(err.contains("stride: " + bad[0] + " " + bad[1] + ": expected 1 or more"), err);
            assertFalse(Files.exists(out), bad[0] + " " + bad[1] + ": refused before the output directory is made");
        }
    }

    /**
     * Heads or batches whose training state cannot fit in the heap are refused by name before the data is generated:
     * --heads 100000 ran out of memory allocating them, after the whole data generation, and took the JVM down;
     * --batch-size 20000000 overflowed a batch buffer's int size (NegativeArraySizeException).
     */
    @Test
    void headsTooLargeForTheHeapAreRefusedBeforeTheData(@TempDir Path dir) {
        String[][] cases = {{"--heads", "100000"}, {"--layers", "100000"}, {"--batch-size", "20000000"}};
        for (String[] bad : cases) {
            List<String> args = new ArrayList<>(Arrays.asList(tinyTraining(Fixtures.modelDir(), dir.resolve("heads"))));
            args.addAll(List.of("--layers", "1", "--draft-vocabulary"));
            args.set(args.indexOf(bad[0]) + 1, bad[1]);
            String err = runFailing(args.toArray(new String[0]));
            assertTrue(err.contains("stride: --heads " + args.get(args.indexOf("--heads") + 1) + " --layers "
                    + args.get(args.indexOf("--layers") + 1) + " --batch-size "
                    + args.get(args.indexOf("--batch-size") + 1) + ": ") && err.contains("heap"), err);
            assertFalse(err.contains("generating"), "refused before the data is generated: " + err);
        }
    }

    /** An evaluation prompt too long for the context is refused before the data generation, not after training. */
    @Test
    void anEvaluationPromptTooLongIsRefusedBeforeTraining(@TempDir Path dir) throws IOException {
        Path eval = Files.writeString(dir.resolve("eval.txt"), "Life is\n" + "x ".repeat(3000) + "\n");
        String err = runFailing(tinyTraining(Fixtures.modelDir(), dir.resolve("heads"), "--eval-prompts",
                eval.toString()));
        assertTrue(err.contains("stride: " + eval + ": prompt 'x x x"), err);
        assertFalse(err.contains("generating"), "refused before the data is generated: " + err);
    }

    /** Shared-projection heads without layers have no weights of their own: the loader would refuse them. */
    @Test
    void sharedProjectionWithoutLayersIsRefusedBeforeTraining(@TempDir Path dir) {
        Path out = dir.resolve("heads");
        String err = refused(tinyTraining(Fixtures.modelDir(), out, "--shared-projection", "--layers", "0"));
        assertTrue(err.contains("stride: --shared-projection with --layers 0") && err.contains("no weights"), err);
        assertFalse(Files.exists(out), "refused before the output directory is made");
    }

    /** Token input enters through a head's first residual layer: heads without layers cannot read it. */
    @Test
    void tokenInputWithoutLayersIsRefusedBeforeTraining(@TempDir Path dir) {
        Path out = dir.resolve("heads");
        String err = refused(tinyTraining(Fixtures.modelDir(), out, "--token-input", "--layers", "0"));
        assertTrue(err.contains("stride: --token-input with --layers 0") && err.contains("--layers 1"), err);
        assertFalse(Files.exists(out), "refused before the output directory is made");
    }

    /** The heads' config.json would replace a model's: --out the model, or any model directory, is refused. */
    @Test
    void outputIntoAModelDirectoryIsRefused(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        try (var files = Files.list(Fixtures.modelDir())) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName().toString()));
            }
        }
        String config = Files.readString(model.resolve("config.json"));
        String err = runFailing(tinyTraining(model, model));
        assertTrue(err.contains("stride: --out " + model) && err.contains("--model " + model), err);
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("config.json"), config);
        err = runFailing(tinyTraining(Fixtures.modelDir(), other));
        assertTrue(err.contains("stride: --out " + other) && err.contains("--model " + Fixtures.modelDir()), err);
        assertEquals(config, Files.readString(model.resolve("config.json")));
        assertEquals(config, Files.readString(other.resolve("config.json")));
        assertFalse(Files.exists(model.resolve("medusa_lm_head.safetensors")), "refused before training");
    }

    /** A split with no held-out positions is refused before training; the fallback to sequences is in the help. */
    @Test
    void aSplitWithNothingHeldOutIsRefusedAndTheSequenceFallbackIsDocumented(@TempDir Path dir) {
        Path out = dir.resolve("heads");
        List<String> args = new ArrayList<>(Arrays.asList(tinyTraining(Fixtures.modelDir(), out)));
        args.set(args.indexOf("--samples") + 1, "1");
        String err = runFailing(args.toArray(new String[0]));
        assertTrue(err.contains("stride: --held-out 0.1") && err.contains("no held-out positions"), err);
        assertFalse(Files.exists(out.resolve("medusa_lm_head.safetensors")), "refused before training");
        String help = new CommandLine(new StrideCli()).getSubcommands().get("train-heads")
                .getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " ");
        assertTrue(help.contains("fewer than 10 distinct prompts"), help);
    }

    /** A checkpoint resumes only the run that made it: same weights, same prompt files, same contents. */
    @Test
    void resumeRefusesACheckpointOfOtherWeightsOrPromptFiles(@TempDir Path dir) throws IOException {
        String lines = "A fool and his money\nYou will be\nLife is\n";
        Path prompts = Files.writeString(dir.resolve("p.txt"), lines);
        Path eval = Files.writeString(dir.resolve("e.txt"), "Life is\n");
        Path out = dir.resolve("heads");
        String[] first = tinyTraining(Fixtures.modelDir(), out, "--prompts", prompts.toString(),
                "--checkpoint-every", "3", "--keep-checkpoint");
        run(0, first);
        String[][] changes = {
            {"weights", "--weights", "q8"}, {"eval_prompts", "--eval-prompts", eval.toString()},
        };
        for (String[] change : changes) {
            String err = runFailing(concat(first, "--resume", change[1], change[2]));
            assertTrue(err.contains("other settings (" + change[0]), err);
        }
        Files.writeString(prompts, "Never\n" + lines);
        String err = runFailing(concat(first, "--resume"));
        assertTrue(err.contains("other settings (prompts_sha256)"), err);
        Files.writeString(prompts, lines);
        assertTrue(run(0, concat(first, "--resume")).contains("continuing at step 3"));
    }

    /**
     * A model replaced in place keeps its directory: its checkpoint must not resume. Negating the final norm's first
     * weight resumed the old model's heads and continuations without a word.
     */
    @Test
    void resumeRefusesACheckpointOfAModelChangedInPlace(@TempDir Path dir) throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        try (var files = Files.list(Fixtures.modelDir())) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        String[] first = tinyTraining(model, dir.resolve("heads"), "--checkpoint-every", "3", "--keep-checkpoint");
        run(0, first);
        Path weights = model.resolve("model.safetensors");
        long offset;
        int bytes;
        try (TensorStore store = TensorStore.openFile(weights)) {
            TensorInfo norm = store.info("model.norm.weight");
            offset = norm.dataOffset();
            bytes = norm.dtype().byteSize();
        }
        try (RandomAccessFile file = new RandomAccessFile(weights.toFile(), "rw")) {
            file.seek(offset + bytes - 1); // little-endian: the sign bit is in the last byte
            int last = file.read();
            file.seek(offset + bytes - 1);
            file.write(last ^ 0x80);
        }
        String err = runFailing(concat(first, "--resume"));
        assertTrue(err.contains("other settings (model_probe)"), err);
    }

    /**
     * The progress line's loss averages start from the first step a run makes, resumed or not: a resumed run started
     * them at 0 and showed about a seventh of the loss after three steps.
     */
    @Test
    void aResumedRunsProgressLineShowsTheLossNotAnAverageWithZeros(@TempDir Path dir) {
        String[] first = tinyTraining(Fixtures.modelDir(), dir.resolve("heads"), "--checkpoint-every", "3",
                "--keep-checkpoint");
        double straight = lastProgressLoss(run(0, first));
        double resumed = lastProgressLoss(run(0, concat(first, "--resume")));
        assertTrue(resumed > 0.8 * straight && resumed < 1.2 * straight, resumed + " after resuming, " + straight);
    }

    /**
     * A run whose gradient goes non-finite fails naming the step and writes no heads: --lr 1e30 sent the weights to
     * infinity in a step, the next gradient norm was NaN, clipping (NaN > --max-grad-norm is false) let it through,
     * and the NaN heads were saved with exit 0.
     */
    @Test
    void aNonFiniteGradientFailsTheRunNamingTheStepAndSavesNoHeads(@TempDir Path dir) {
        Path out = dir.resolve("heads");
        String err = runFailing(tinyTraining(Fixtures.modelDir(), out, "--lr", "1e30"));
        assertTrue(err.matches("(?s).*stride: step \\d+ of 6: the gradient norm is (NaN|Infinity).*--lr.*"), err);
        assertFalse(Files.exists(out.resolve("medusa_lm_head.safetensors")), "no heads saved");
    }

    /**
     * A last step that diverges leaves no later gradient to go non-finite: with --steps 1, --lr 1e30 made the weights
     * about 1e30 (held-out loss NaN) and --lr 1e39, beyond a float, infinite, and both runs wrote those heads.
     */
    @Test
    void headsWhoseHeldOutLossIsNotFiniteAreNotSaved(@TempDir Path dir) {
        for (String lr : new String[] {"1e30", "1e39"}) {
            List<String> args = new ArrayList<>(Arrays.asList(tinyTraining(Fixtures.modelDir(), dir.resolve(lr),
                    "--lr", lr)));
            args.set(args.indexOf("--steps") + 1, "1");
            String err = runFailing(args.toArray(new String[0]));
            assertTrue(err.matches("(?s).*stride: after step 1 of 1: head 0's held-out loss is (NaN|Infinity).*--lr.*"),
                    err);
            assertFalse(Files.exists(dir.resolve(lr).resolve("medusa_lm_head.safetensors")), lr + ": no heads saved");
        }
    }

    /** Head 0's loss on the last progress line ("step 6/6 loss 7.55 8.14 | ..."). */
    private static double lastProgressLoss(String err) {
        String line = err.substring(err.lastIndexOf("step 6/6 loss "));
        return Double.parseDouble(line.split(" ")[3]);
    }

    /** Arguments of a tiny training run of 2 heads, measured on one tree. */
    private static String[] tinyTraining(Path model, Path out, String... extra) {
        return concat(new String[] {"train-heads", "--model", model.toString(), "--out", out.toString(), "--heads", "2",
            "--samples", "6", "--max-new-tokens", "12", "--steps", "6", "--batch-size", "16", "--dtype", "F32",
            "--eval-max-new-tokens", "4", "--eval-tree", "chain:1", "--threads", "1"}, extra);
    }

    private static String[] concat(String[] args, String... extra) {
        List<String> all = new ArrayList<>(Arrays.asList(args));
        all.addAll(Arrays.asList(extra));
        return all.toArray(new String[0]);
    }

    /** Runs the CLI expecting a usage error, exit code 2; returns what it wrote to standard error. */
    private static String refused(String... args) {
        return run(2, args);
    }

    /** Runs the CLI expecting exit code 1; returns what it wrote to standard error. */
    private static String runFailing(String... args) {
        return run(1, args);
    }

    /** Runs the CLI expecting exit code {@code expected}; returns what it wrote to standard error. */
    private static String run(int expected, String... args) {
        return CliRuns.expecting(expected, args);
    }
}
