package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.cli.StrideCli;
import dev.stride.decoder.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad inputs to {@code stride train-heads} fail up front with a message that names the file at fault. */
class TrainHeadsInputsTest {

    @Test
    void promptFilesAreReadAsJsonlOrText(@TempDir Path dir) throws IOException {
        Path jsonl = Files.writeString(dir.resolve("p.jsonl"), "{\"prompt\": \"Life is\"}\n\n{\"prompt\": \"A\\nB\"}\n");
        Path text = Files.writeString(dir.resolve("p.txt"), "Life is\n\nNever\n");
        assertEquals(List.of("Life is", "A\nB"), TrainingPrompts.read(jsonl));
        assertEquals(List.of("Life is", "Never"), TrainingPrompts.read(text));
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
        String err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out",
                dir.resolve("heads").toString(), "--prompts", empty.toString());
        assertTrue(err.contains(empty.toString()) && err.contains("no prompts"), err);
    }

    @Test
    void commandReportsAnUnwritableOutputDirectoryByPath(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        Path out = file.resolve("heads");
        String err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString());
        assertTrue(err.contains(out.toString()) && err.contains("output directory"), err);
    }

    /** Options the measurement after training needs, and shares out of range, are checked before anything runs. */
    @Test
    void badEvaluationOptionsAndShareAreRefusedBeforeTraining(@TempDir Path dir) {
        String[][] cases = {
            {"--eval-max-batch", "0"}, {"--eval-max-new-tokens", "0"}, {"--eval-tree", "foo:1"},
            {"--eval-tree", "chain:2"}, {"--held-out", "NaN"}, {"--greedy-share", "NaN"},
        };
        for (String[] bad : cases) {
            Path out = dir.resolve("heads");
            String err = runFailing("train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                    "--heads", "1", "--samples", "2", "--max-new-tokens", "4", "--steps", "2", "--batch-size", "8",
                    "--threads", "1", bad[0], bad[1]);
            assertTrue(err.contains("stride: " + bad[0] + " " + bad[1]) || err.contains("stride: " + bad[0] + " must"),
                    err);
            assertFalse(Files.exists(out), bad[0] + " " + bad[1] + ": refused before the output directory is made");
        }
    }

    /** Runs the CLI expecting exit code 1; returns what it wrote to standard error. */
    private static String runFailing(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = StrideCli.run(args);
        } finally {
            System.setErr(saved);
        }
        String err = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, code, err);
        return err;
    }
}
