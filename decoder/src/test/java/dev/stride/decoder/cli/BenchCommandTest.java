package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.PassCostMeter;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    /** --pass-cost prints each row count's time beside the floor that bytes and arithmetic put under it. */
    @Test
    void passCostComparesEveryRowCountWithItsBound() throws Exception {
        String[] lines = run("bench", "--model", Fixtures.modelDir().toString(), "--pass-cost", "--threads", "1",
                "--prefix", "100");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        ModelConfig c = ModelConfig.read(Fixtures.modelDir());
        long perLayer = (long) c.hiddenSize() * (c.qDim() + 2 * c.kvDim()) + (long) c.qDim() * c.hiddenSize()
                + 3L * c.hiddenSize() * c.intermediateSize();
        long macs = c.numLayers() * perLayer + (long) c.vocabSize() * c.hiddenSize()
                + 2L * c.qDim() * 100 * c.numLayers();
        assertEquals(2.0 * macs / 1e6, json.get("mflop_per_row").asDouble(), 1e-9);
        assertTrue(json.get("peak_gflops").asDouble() > 0.1, json.toString());
        assertEquals(100, json.get("prefix").asInt());
        assertEquals(json.get("measured_ms").get("1").asDouble(), json.get("plain_pass_ms").asDouble(), 1e-12);
        double previous = 0;
        double measuredSum = 0;
        double usedSum = 0;
        for (int rows : PassCostMeter.DEFAULT_ROWS) {
            double overBound = json.get("pass_over_bound").get(String.valueOf(rows)).asDouble();
            assertTrue(overBound > 0 && Double.isFinite(overBound), rows + " rows: " + overBound);
            assertTrue(json.get("pass_cost_ratio").get(String.valueOf(rows)).asDouble() >= 1.0, rows + " rows");
            double measured = json.get("measured_ms").get(String.valueOf(rows)).asDouble();
            double used = json.get("pass_ms").get(String.valueOf(rows)).asDouble();
            assertEquals(used / json.get("pass_ms").get("1").asDouble(),
                    json.get("pass_cost_ratio").get(String.valueOf(rows)).asDouble(), 1e-9, rows + " rows");
            assertTrue(measured > 0 && used >= previous * (1 - 1e-9), rows + " rows: the curve " + used
                    + " ms falls below " + previous);
            previous = used;
            measuredSum += measured;
            usedSum += used;
        }
        // Pooling adjacent violators averages the medians it pools: the curve keeps their total.
        assertEquals(measuredSum, usedSum, measuredSum * 1e-9, "the curve is a least-squares fit of the medians");
        assertTrue(lines[0].startsWith("tokens") && lines[0].contains("measured ms")
                && lines[0].contains("over bound"), lines[0]);
    }

    /** The sweep runs every tree against plain decoding and says so row by row, identical outputs included. */
    @Test
    void sweepReportsEveryTreeWithIdenticalOutputs() throws Exception {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        String[] lines = run("bench", "--model", Fixtures.modelDir().toString(), "--heads", heads, "--sweep",
                "--prompts", "3", "--max-new-tokens", "8", "--repeat", "2", "--threads", "2", "--max-batch", "2");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        List<String> trees = new ArrayList<>();
        json.get("trees").fieldNames().forEachRemaining(trees::add);
        assertEquals(List.of("chain:1", "chain:2", "chain:3", "chain:4", "chain:5", "nodes:4", "nodes:8", "nodes:16",
                "nodes:32", "static", "file:" + heads + "/tree.json", "auto"), trees);
        for (String tree : trees) {
            JsonNode row = json.get("trees").get(tree);
            assertEquals(3, row.get("identical_rows").asInt(), tree);
            assertTrue(row.get("tokens_per_s").asDouble() > 0 && row.get("speedup").asDouble() > 0, tree);
            assertTrue(row.get("tokens_per_pass").asDouble() >= 1.0, tree);
            double lowest = row.get("speedup_range").get(0).asDouble();
            double highest = row.get("speedup_range").get(1).asDouble();
            // Two rounds: their median is the mean of the two, so it lies inside their range.
            assertTrue(lowest > 0 && lowest <= row.get("speedup").asDouble()
                    && row.get("speedup").asDouble() <= highest, tree + ": " + row);
            assertTrue(lines[lines.length - 2 - trees.size() + trees.indexOf(tree)].startsWith(tree), tree);
        }
        // auto is set beside the best fixed tree picked on the other round, for each of the two rounds
        JsonNode best = json.get("held_out_best_fixed");
        int picks = 0;
        for (var it = best.get("picks").fields(); it.hasNext(); ) {
            var pick = it.next();
            assertTrue(trees.contains(pick.getKey()) && !pick.getKey().equals("auto"), pick.getKey());
            picks += pick.getValue().asInt();
        }
        assertEquals(2, picks);
        assertEquals(json.get("trees").get("auto").get("speedup").asDouble() / best.get("speedup").asDouble(),
                best.get("auto_share").asDouble(), 1e-9);
        assertTrue(lines[lines.length - 2].startsWith("best fixed tree picked on the other rounds"),
                lines[lines.length - 2]);
    }

    /** --trees narrows a sweep to the trees named, and a tree named twice is an error rather than a lost row. */
    @Test
    void sweepRunsTheTreesNamed() throws Exception {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        String[] lines = run("bench", "--model", Fixtures.modelDir().toString(), "--heads", heads, "--sweep",
                "--trees", "chain:2,auto", "--prompts", "2", "--max-new-tokens", "6", "--repeat", "2");
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        List<String> trees = new ArrayList<>();
        json.get("trees").fieldNames().forEachRemaining(trees::add);
        assertEquals(List.of("chain:2", "auto"), trees);
        assertEquals(2, json.get("held_out_best_fixed").get("picks").get("chain:2").asInt());
        assertEquals(2, StrideCli.run("bench", "--model", Fixtures.modelDir().toString(), "--heads", heads,
                "--sweep", "--trees", "chain:2,chain:2", "--repeat", "2"));
    }

    /** --repeat and --prompts below 1 are usage errors, refused before the model loads. */
    @Test
    void repeatOrPromptsBelowOneIsAUsageError() {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        for (String option : new String[] {"--repeat", "--prompts"}) {
            String err = runFailing(2, "bench", "--model", Fixtures.modelDir().toString(), "--heads", heads,
                    "--max-new-tokens", "2", "--threads", "1", "--tree", "chain:1", option, "0");
            assertTrue(err.contains(option + " 0"), err);
        }
    }

    /**
     * An option of another mode is a usage error: it was ignored, and the numbers printed were not those asked for
     * (--trees without --sweep timed the default tree, --prefix without --pass-cost left the costs at 64 tokens).
     */
    @Test
    void optionsOfAnotherModeAreUsageErrors() {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        Map<List<String>, String> expected = Map.of(
                List.of("--trees", "chain:2"), "--trees: only with --sweep",
                List.of("--prefix", "10"), "--prefix: only with --pass-cost",
                List.of("--sweep", "--tree", "chain:2"), "--tree: not with --sweep (name its trees with --trees)",
                List.of("--sweep", "--pass-cost"), "--pass-cost: not with --sweep");
        for (Map.Entry<List<String>, String> options : expected.entrySet()) {
            List<String> args = new ArrayList<>(List.of("bench", "--model", Fixtures.modelDir().toString(),
                    "--heads", heads, "--prompts", "1", "--max-new-tokens", "2", "--repeat", "1", "--threads", "1"));
            args.addAll(options.getKey());
            String err = runFailing(2, args.toArray(String[]::new));
            assertTrue(err.startsWith("stride: " + options.getValue()), options.getKey() + ": " + err);
        }
    }

    /**
     * --max-new-tokens and --max-batch below 1 are usage errors too: they failed after the model loaded and the
     * memory bandwidth was measured, as 'request 0000: max_new_tokens must be > 0' or 'max batch must be > 0'.
     */
    @Test
    void maxNewTokensOrMaxBatchBelowOneIsAUsageError() {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        for (String option : new String[] {"--max-new-tokens", "--max-batch"}) {
            String err = runFailing(2, "bench", "--model", Fixtures.modelDir().toString(), "--heads", heads,
                    "--prompts", "1", "--repeat", "1", "--threads", "1", "--tree", "chain:1", option, "0");
            assertTrue(err.startsWith("stride: " + option + " 0: expected 1 or more"), err);
        }
    }

    /**
     * With no decode pass (one new token, or prompts the model ends at once) there is nothing to compare: bench
     * exited 0 with tokens per pass "NaN" (and, with no token at all, the speedup), as strings in its JSON.
     */
    @Test
    void runsWithoutADecodePassAreAnError(@TempDir Path tmp) throws IOException {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        String model = Fixtures.modelDir().toString();
        for (String mode : new String[] {"--tree", "--sweep"}) {
            String tree = mode.equals("--tree") ? "chain:2" : "--trees=chain:2";
            String err = runFailing(1, "bench", "--model", model, "--heads", heads, mode, tree, "--prompts", "2",
                    "--max-new-tokens", "1", "--repeat", "1", "--threads", "1");
            assertTrue(err.contains("no prompt got past its first token (--max-new-tokens 1)"), err);
        }
        // The fixture's greedy continuation of "A fool and his money" ends at end-of-sequence after this.
        String ended = "A fool and his money is a man who has been a good way to be a\npround of the past.\n\t\t--"
                + " Woody Allen";
        Path input = Files.writeString(tmp.resolve("ended.jsonl"),
                new ObjectMapper().createObjectNode().put("prompt", ended) + "\n");
        String err = runFailing(1, "bench", "--model", model, "--heads", heads, "--tree", "chain:2", "--input",
                input.toString(), "--stop-at-eos", "--max-new-tokens", "4", "--repeat", "1", "--threads", "1");
        assertTrue(err.contains("--max-new-tokens 4, or each ended at end-of-sequence"), err);
    }

    /** A prompt file's bad line is reported with the file and the line's number; a missing file is an error too. */
    @Test
    void aBadInputLineNamesTheFileAndTheLine(@TempDir Path tmp) throws IOException {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        Path noPrompt = Files.writeString(tmp.resolve("no-prompt.jsonl"), "{\"prompt\": \"Life is\"}\n{\"text\": 1}\n");
        Path notJson = Files.writeString(tmp.resolve("not-json.jsonl"), "{\"prompt\": \"Life is\"}\n\n{\"prompt\":\n");
        Path missing = tmp.resolve("missing.jsonl");
        Map<Path, String> expected = Map.of(noPrompt, noPrompt + " line 2", notJson, notJson + " line 3", missing,
                missing + ": no such file");
        for (Map.Entry<Path, String> input : expected.entrySet()) {
            String err = runFailing(1, "bench", "--model", Fixtures.modelDir().toString(), "--heads", heads,
                    "--input", input.getKey().toString(), "--max-new-tokens", "2", "--threads", "1", "--tree",
                    "chain:1");
            assertTrue(err.contains(input.getValue()), err);
        }
    }

    /** Runs the CLI expecting {@code code}; returns what it wrote to standard error. */
    private static String runFailing(int code, String... args) {
        return CliRuns.expecting(code, args);
    }

    /** Runs the CLI and returns its standard output's lines, after checking it succeeded. */
    private static String[] run(String... args) {
        CliRuns.Result result = CliRuns.run(args);
        assertEquals(0, result.code(), result.out() + result.err());
        return result.out().trim().split("\n");
    }
}
