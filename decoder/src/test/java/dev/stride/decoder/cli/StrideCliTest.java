package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class StrideCliTest {

    /**
     * Every command's help renders as written: picocli reads descriptions as format strings, so a bare percent
     * sign ("95 % of them") makes it warn on standard error and print the text unformatted.
     */
    @Test
    void everyCommandsHelpRendersWithoutWarnings() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new StrideCli());
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (CommandLine command : cli.getSubcommands().values()) {
                String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
                assertTrue(usage.contains("Usage: stride " + command.getCommandName()), usage);
            }
        } finally {
            System.setErr(originalErr);
        }
        String warnings = err.toString(StandardCharsets.UTF_8);
        assertFalse(warnings.contains("WARN"), warnings);
        assertEquals(7, cli.getSubcommands().size(), "commands: " + cli.getSubcommands().keySet());
    }

    /** A negative --threads (0 is every CPU) and a --kv-cache-mb whose bytes overflow are refused, not bent. */
    @Test
    void negativeThreadsAndOverflowingKvCacheAreRefused(@TempDir Path tmp) throws IOException {
        String model = Fixtures.modelDir().toString();
        String output = tmp.resolve("o.jsonl").toString();
        assertRefused("--threads -3", "generate", "--model", model, "--prompt", "Life is", "--output", output,
                "--max-new-tokens", "2", "--threads", "-3");
        assertRefused("--kv-cache-mb 9000000000000", "generate", "--model", model, "--prompt", "Life is",
                "--output", output, "--max-new-tokens", "2", "--threads", "1", "--kv-cache-mb", "9000000000000");
        Path trained = tmp.resolve("trained");
        assertRefused("--threads -3", "train-heads", "--model", model, "--out", trained.toString(), "--heads", "1",
                "--samples", "2", "--max-new-tokens", "4", "--steps", "2", "--batch-size", "8",
                "--eval-max-new-tokens", "2", "--eval-tree", "chain:1", "--threads", "-3");
        assertFalse(Files.exists(trained), "refused before the output directory is made");
        Path heads = Files.createDirectories(tmp.resolve("heads"));
        Path fixtureHeads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        for (String file : new String[] {"config.json", "medusa_lm_head.safetensors", "draft_vocabulary.json"}) {
            Files.copy(fixtureHeads.resolve(file), heads.resolve(file));
        }
        Path prompts = Files.writeString(tmp.resolve("prompts.txt"), "Life is\n");
        assertRefused("--threads -3", "draft-vocabulary", "--model", model, "--heads", heads.toString(), "--prompts",
                prompts.toString(), "--samples", "1", "--max-new-tokens", "4", "--force", "--threads", "-3");
        assertEquals(Files.readString(fixtureHeads.resolve("draft_vocabulary.json")),
                Files.readString(heads.resolve("draft_vocabulary.json")), "the list is kept");
    }

    /**
     * A --threads count no machine has is refused by name: 2147483647 threw an OutOfMemoryError ('Requested array size
     * exceeds VM limit') out of the command line, a stack trace instead of a message.
     */
    @Test
    void absurdThreadCountsAreRefused(@TempDir Path tmp) {
        String model = Fixtures.modelDir().toString();
        for (String threads : new String[] {"2147483647", "1025"}) {
            assertRefused("--threads " + threads + ": expected 0 (all CPUs) to 1024", "generate", "--model", model,
                    "--prompt", "Life is", "--output", tmp.resolve("o.jsonl").toString(), "--max-new-tokens", "2",
                    "--threads", threads);
        }
    }

    /**
     * A command's own checks of its command line (values out of range, options that cannot go together) are usage
     * errors like picocli's: exit code 2 in every command, reported as 'stride: OPTION ...'. generate, train-heads,
     * draft-vocabulary, random-model and import-gguf exited 1 for them, and bench 2 but without the prefix.
     */
    @Test
    void everyCommandsOwnUsageChecksExitTwo(@TempDir Path tmp) throws IOException {
        String model = Fixtures.modelDir().toString();
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        Path prompts = Files.writeString(tmp.resolve("prompts.txt"), "Life is\n");
        String output = tmp.resolve("o.jsonl").toString();
        String out = tmp.resolve("out").toString();
        String[][] cases = {
            {"--max-batch 0", "generate", "--model", model, "--prompt", "Life is", "--output", output, "--max-batch",
                "0"},
            {"--top-k: ", "generate", "--model", model, "--prompt", "Life is", "--output", output, "--top-k", "-1"},
            {"--threads -3", "generate", "--model", model, "--prompt", "Life is", "--output", output, "--threads",
                "-3"},
            {"--mode mtp: ", "generate", "--model", model, "--prompt", "Life is", "--output", output, "--mode", "mtp"},
            {"--repeat 0", "bench", "--model", model, "--heads", heads, "--repeat", "0"},
            {"--trees chain:1,chain:1", "bench", "--model", model, "--heads", heads, "--sweep", "--trees",
                "chain:1,chain:1"},
            {"--held-out must", "train-heads", "--model", model, "--out", out, "--held-out", "0"},
            {"--lr 0.01 with --weight-decay 200.0", "train-heads", "--model", model, "--out", out, "--lr", "0.01",
                "--weight-decay", "200"},
            {"--greedy-share", "draft-vocabulary", "--model", model, "--heads", heads, "--prompts",
                prompts.toString(), "--greedy-share", "2"},
            {"--shape huge", "random-model", "--out", out, "--shape", "huge"},
            {"--shard-mb 0", "import-gguf", tmp.resolve("absent.gguf").toString(), "--out", out, "--shard-mb", "0"},
        };
        for (String[] bad : cases) {
            String err = CliRuns.expecting(2, java.util.Arrays.copyOfRange(bad, 1, bad.length));
            assertTrue(err.contains("stride: " + bad[0]), bad[1] + ": " + err);
            assertFalse(Files.exists(Path.of(out)), bad[1] + ": refused before anything is written");
        }
    }

    /** An unknown --dtype is a usage error in both commands that take one: it exited 1. */
    @Test
    void anUnknownDtypeIsAUsageError(@TempDir Path tmp) {
        String out = tmp.resolve("out").toString();
        String[][] commands = {{"train-heads", "--model", Fixtures.modelDir().toString(), "--out", out},
            {"random-model", "--out", out, "--shape", "tiny"}};
        for (String[] command : commands) {
            List<String> args = new ArrayList<>(List.of(command));
            args.addAll(List.of("--dtype", "f8"));
            String err = CliRuns.expecting(2, args.toArray(String[]::new));
            assertTrue(err.contains("--dtype") && err.contains("unsupported dtype 'F8' (supported: F32, F16, BF16)"),
                    err);
            assertFalse(Files.exists(Path.of(out)), command[0] + ": refused before anything is written");
        }
    }

    /** Runs the CLI expecting a usage error (exit code 2) that contains {@code expected}. */
    private static void assertRefused(String expected, String... args) {
        String text = CliRuns.expecting(2, args);
        assertTrue(text.contains("stride: " + expected), text);
    }
}
