package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.Fixtures.Reference;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stride generate} end to end on the bundled fixture model. */
class GenerateCommandTest {

    @TempDir
    Path tmp;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FIELDS = List.of("id", "completion", "completion_ids", "prompt_tokens",
            "completion_tokens", "finish_reason", "forward_passes", "tokens_per_pass", "decode_ms",
            "accept_histogram", "tree_nodes", "head_acceptance", "weight_layout", "error");

    private static final Map<String, Reference> REFERENCES = Fixtures.references().stream()
            .collect(Collectors.toMap(Reference::prompt, Function.identity(), (a, b) -> a));

    private static String fixture() {
        return Fixtures.modelDir().toString();
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    /** What {@link #generate} returns: the exit code and the output's rows. */
    private record Generated(int code, List<JsonNode> rows) {
    }

    /** {@code stride generate} on the fixture model over {@code lines} written to NAME.jsonl, with {@code options}. */
    private Generated generate(String name, List<String> lines, String... options) throws IOException {
        Path input = Files.write(tmp.resolve(name + ".jsonl"), lines, StandardCharsets.UTF_8);
        Path output = tmp.resolve(name + ".out.jsonl");
        List<String> args = new ArrayList<>(List.of("generate", "--model", fixture(), "--input", input.toString(),
                "--output", output.toString()));
        args.addAll(List.of(options));
        int code = StrideCli.run(args.toArray(String[]::new));
        return new Generated(code, readJsonl(output));
    }

    private static List<JsonNode> readJsonl(Path file) throws IOException {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            rows.add(JSON.readTree(line));
        }
        return rows;
    }

    /** A successful greedy row whose ids are the PyTorch reference's first {@code n}. */
    private static void assertGreedyRow(JsonNode row, String id, String prompt, int n) {
        Reference ref = REFERENCES.get(prompt);
        assertEquals(FIELDS.stream().sorted().toList(), iterable(row.fieldNames()).stream().sorted().toList(),
                "fields of " + row);
        assertEquals(id, row.get("id").asText());
        assertTrue(row.get("error").isNull(), row.toString());
        assertArrayEquals(Arrays.copyOf(ref.greedyIds(), n), ints(row.get("completion_ids")), row.toString());
        assertFalse(row.get("completion").asText().isEmpty(), row.toString());
        assertEquals(ref.promptIds().length, row.get("prompt_tokens").intValue());
        assertEquals(n, row.get("completion_tokens").intValue());
        assertEquals("length", row.get("finish_reason").asText());
        assertEquals(n, row.get("forward_passes").intValue());
        assertEquals(1.0, row.get("tokens_per_pass").doubleValue());
        assertArrayEquals(new int[] {n - 1}, ints(row.get("accept_histogram")));
        assertEquals(n - 1, row.get("tree_nodes").intValue());
        assertEquals(0, row.get("head_acceptance").size(), "plain decoding has no heads");
        assertTrue(row.get("decode_ms").isNumber() && row.get("decode_ms").doubleValue() >= 0);
    }

    private static void assertFailedRow(JsonNode row, String id, String kind) {
        assertEquals(FIELDS.stream().sorted().toList(), iterable(row.fieldNames()).stream().sorted().toList(),
                "fields of " + row);
        assertEquals(id, row.get("id").asText(), row.toString());
        assertTrue(row.get("error").isTextual(), row.toString());
        assertTrue(row.get("error").asText().startsWith(kind + ": "), "expected a " + kind + " error: " + row);
        assertEquals("", row.get("completion").asText());
        assertEquals(0, row.get("completion_ids").size());
        assertEquals(0, row.get("completion_tokens").intValue());
        assertTrue(row.get("finish_reason").isNull(), row.toString());
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> list = new ArrayList<>();
        it.forEachRemaining(list::add);
        return list;
    }

    @Test
    void jsonlWithGoodAndBadLinesGivesOneRowPerLineInOrder() throws IOException {
        String tooLong = "A fool and his money ".repeat(150);
        List<String> lines = List.of(
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\"}",
                "{\"id\": \"broken\", \"prompt\": ",
                "{\"id\": \"empty\", \"prompt\": \"\"}",
                "{\"id\": \"cold\", \"prompt\": \"You will be\", \"temperature\": -1}",
                "",
                "{\"prompt\": \"The best way to\", \"max_new_tokens\": 3}",
                "{\"id\": \"chat\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"id\": \"typed\", \"prompt\": \"You will be\", \"max_new_tokens\": \"ten\"}",
                "{\"id\": \"sampled\", \"prompt\": \"Life is\", \"temperature\": 0.8, \"top_k\": 20, \"seed\": 3}",
                "{\"id\": \"toolong\", \"prompt\": \"" + tooLong + "\"}",
                "{\"id\": \"will\", \"prompt\": \"You will be\"}",
                "{\"id\": 7, \"prompt\": \"Life is\", \"max_new_tokens\": 2}");
        Generated run = generate("in", lines, "--max-new-tokens", "8", "--threads", "2", "--device", "cpu");
        assertEquals(1, run.code(), "some lines failed");

        List<JsonNode> rows = run.rows();
        assertEquals(11, rows.size(), "one row per non-blank line: " + rows);
        assertGreedyRow(rows.get(0), "fool", "A fool and his money", 8);
        assertFailedRow(rows.get(1), "1", "invalid_input");
        assertTrue(rows.get(1).get("error").asText().contains("line 2"), rows.get(1).toString());
        assertFailedRow(rows.get(2), "empty", "empty_prompt");
        assertFailedRow(rows.get(3), "cold", "invalid_override");
        assertTrue(rows.get(3).get("error").asText().contains("temperature"), rows.get(3).toString());
        assertGreedyRow(rows.get(4), "4", "The best way to", 3);
        assertFailedRow(rows.get(5), "chat", "chat_template");
        assertFailedRow(rows.get(6), "typed", "invalid_override");
        assertTrue(rows.get(6).get("error").asText().contains("max_new_tokens"), rows.get(6).toString());
        JsonNode sampled = rows.get(7);
        assertEquals("sampled", sampled.get("id").asText());
        assertTrue(sampled.get("error").isNull(), sampled.toString());
        assertTrue(sampled.get("completion_tokens").intValue() >= 1 && sampled.get("completion_tokens").intValue() <= 8);
        assertFailedRow(rows.get(8), "toolong", "prompt_too_long");
        assertGreedyRow(rows.get(9), "will", "You will be", 8);
        assertGreedyRow(rows.get(10), "7", "Life is", 2);
    }

    /** Overrides that do not fit their field, or have the wrong type, fail their line instead of changing value. */
    @Test
    void overridesOutOfRangeOrOfTheWrongTypeAreInvalidOverrides() throws IOException {
        List<String> lines = List.of(
                "{\"id\": \"max_new_tokens\", \"prompt\": \"Life is\", \"max_new_tokens\": 4294967298}",
                "{\"id\": \"logprobs\", \"prompt\": \"Life is\", \"logprobs\": 4294967296}",
                "{\"id\": \"top_k\", \"prompt\": \"Life is\", \"top_k\": 4294967295}",
                "{\"id\": \"seed\", \"prompt\": \"Life is\", \"seed\": \"abc\"}",
                "{\"id\": \"seed\", \"prompt\": \"Life is\", \"seed\": 18446744073709551616}",
                "{\"id\": \"seed\", \"prompt\": \"Life is\", \"seed\": 1.5}",
                "{\"id\": \"stop\", \"prompt\": \"Life is\", \"stop\": [\"to\", 7]}",
                "{\"id\": \"temperature\", \"prompt\": \"Life is\", \"temperature\": 1e-50}",
                "{\"id\": \"top_p\", \"prompt\": \"Life is\", \"top_p\": 1e-50}",
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\", \"seed\": 9007199254740993}");
        Generated run = generate("ranges", lines, "--max-new-tokens", "2", "--threads", "2");
        assertEquals(1, run.code());
        List<JsonNode> rows = run.rows();
        assertEquals(lines.size(), rows.size());
        for (int i = 0; i < lines.size() - 1; i++) {
            JsonNode row = rows.get(i);
            String key = row.get("id").asText();
            assertFailedRow(row, key, "invalid_override");
            String value = JSON.readTree(lines.get(i)).get(key).toString();
            assertTrue(row.get("error").asText().contains(key) && row.get("error").asText().contains(value),
                    "the error names " + key + " and its value " + value + ": " + row);
        }
        assertGreedyRow(rows.get(lines.size() - 1), "fool", "A fool and his money", 2);
    }

    /**
     * Parameters of other APIs that Stride does not honor fail their line, naming the key and what to use instead:
     * an OpenAI-style max_tokens or a repetition_penalty decoded with the defaults, as if it had taken effect. Other
     * keys (metadata) and a null value stay allowed.
     */
    @Test
    void parametersOfOtherApisFailTheirLineNamingWhatToUse() throws IOException {
        List<String> lines = List.of(
                "{\"id\": \"max_tokens\", \"prompt\": \"Life is\", \"max_tokens\": 5}",
                "{\"id\": \"stop_sequences\", \"prompt\": \"Life is\", \"stop_sequences\": [\"a\"]}",
                "{\"id\": \"repetition_penalty\", \"prompt\": \"Life is\", \"repetition_penalty\": 1.2}",
                "{\"id\": \"min_p\", \"prompt\": \"Life is\", \"min_p\": 0.05}",
                "{\"id\": \"best_of\", \"prompt\": \"Life is\", \"best_of\": 2}",
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\", \"source\": \"fortunes\", "
                        + "\"reference\": \"x\", \"max_tokens\": null, \"n\": 7}");
        Path input = Files.write(tmp.resolve("foreign.jsonl"), lines, StandardCharsets.UTF_8);
        CliRuns.Result run = CliRuns.run("generate", "--model", fixture(), "--input", input.toString(),
                "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, run.code(), run.err());
        List<JsonNode> rows = new ArrayList<>();
        for (String line : run.out().split("\n")) {
            rows.add(JSON.readTree(line));
        }
        assertEquals(lines.size(), rows.size(), run.out());
        Map<String, String> advice = Map.of("max_tokens", "use max_new_tokens", "stop_sequences", "use stop",
                "repetition_penalty", "Stride does not support it", "min_p", "Stride does not support it",
                "best_of", "one completion per prompt");
        for (int i = 0; i < advice.size(); i++) {
            JsonNode row = rows.get(i);
            String key = row.get("id").asText();
            assertFailedRow(row, key, "invalid_override");
            String error = row.get("error").asText();
            assertTrue(error.startsWith("invalid_override: " + key + " ") && error.contains(advice.get(key)), error);
        }
        assertGreedyRow(rows.get(lines.size() - 1), "fool", "A fool and his money", 2);
    }

    /**
     * Override keys are read by their exact names: a "Max_New_Tokens" or "TEMPERATURE" was ignored and the line
     * decoded with the flags' values, as if it had taken effect. It fails its line, as such a column stops the job.
     */
    @Test
    void overrideKeysNamedButForCaseFailTheirLine() throws IOException {
        List<String> lines = List.of(
                "{\"id\": \"Max_New_Tokens\", \"prompt\": \"Life is\", \"Max_New_Tokens\": 2}",
                "{\"id\": \"TEMPERATURE\", \"prompt\": \"Life is\", \"TEMPERATURE\": 0.9, \"seed\": 3}",
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\", \"Top_K\": null}");
        Generated run = generate("case", lines, "--max-new-tokens", "4", "--threads", "1");
        assertEquals(1, run.code());
        for (int i = 0; i < 2; i++) {
            JsonNode row = run.rows().get(i);
            String key = row.get("id").asText();
            assertFailedRow(row, key, "invalid_override");
            assertTrue(row.get("error").asText().contains(key + " is named like the override "
                    + key.toLowerCase(java.util.Locale.ROOT) + " but for case"), row.toString());
        }
        assertGreedyRow(run.rows().get(2), "fool", "A fool and his money", 4);
    }

    @Test
    void duplicateIdsEachGetTheirOwnCompletion() throws IOException {
        List<String> lines = List.of(
                "{\"id\": \"same\", \"prompt\": \"A fool and his money\"}",
                "{\"id\": \"same\", \"prompt\": \"You will be\"}",
                "{\"id\": \"x\", \"prompt\": \"Life is\", \"top_p\": 0}",
                "{\"id\": \"x\", \"prompt\": \"Life is\"}");
        Generated run = generate("dup", lines, "--max-new-tokens", "4", "--threads", "2");
        List<JsonNode> rows = run.rows();
        assertEquals(4, rows.size());
        assertGreedyRow(rows.get(0), "same", "A fool and his money", 4);
        assertGreedyRow(rows.get(1), "same", "You will be", 4);
        assertFailedRow(rows.get(2), "x", "invalid_override");
        assertGreedyRow(rows.get(3), "x", "Life is", 4);
        assertEquals(1, run.code(), "a failed line means exit code 1, even when another line shares its id");
    }

    @Test
    void multiTokenDecodingWithHeadsFromDiskMatchesPlainDecoding() throws IOException {
        Path headsDir = tmp.resolve("heads");
        try (dev.stride.decoder.model.Model model = dev.stride.decoder.model.ModelLoader.load(Fixtures.modelDir())) {
            dev.stride.decoder.mtp.MedusaHeads heads = dev.stride.decoder.testing.TinyModels.heads(model.config(),
                    model.weights(), 3, 1, 5);
            dev.stride.decoder.mtp.HeadsWriter.write(heads, headsDir, "fortunes-llama-2m",
                    dev.stride.decoder.safetensors.DType.F16);
        }
        List<String> lines = List.of(
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\"}",
                "{\"id\": \"hot\", \"prompt\": \"Life is\", \"temperature\": 0.9, \"top_p\": 0.9, \"seed\": 4}",
                "{\"id\": \"stop\", \"prompt\": \"You will be\", \"stop\": \"to\"}",
                "{\"id\": \"zero\", \"prompt\": \"Life is\", \"max_new_tokens\": 0}");
        Generated plain = generate("plain", lines, "--max-new-tokens", "12", "--threads", "2");
        assertEquals(1, plain.code());
        List<JsonNode> expected = plain.rows();
        assertGreedyRow(expected.get(0), "fool", "A fool and his money", 12);
        assertFailedRow(expected.get(3), "zero", "invalid_override");
        for (String tree : new String[] {"chain:2", "nodes:6", "static"}) {
            Generated multi = generate("multi-" + tree.replace(':', '-'), lines, "--heads", headsDir.toString(),
                    "--tree", tree, "--max-new-tokens", "12", "--threads", "2");
            assertEquals(1, multi.code());
            List<JsonNode> actual = multi.rows();
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < 3; i++) {
                JsonNode e = expected.get(i);
                JsonNode a = actual.get(i);
                String what = tree + " " + a;
                assertTrue(a.get("error").isNull(), what);
                assertEquals(e.get("completion_ids"), a.get("completion_ids"), what);
                assertEquals(e.get("completion"), a.get("completion"), what);
                assertEquals(e.get("finish_reason"), a.get("finish_reason"), what);
                assertTrue(a.get("forward_passes").intValue() <= e.get("forward_passes").intValue(), what);
                assertTrue(a.get("tokens_per_pass").doubleValue() >= 1.0, what);
                assertTrue(a.get("tree_nodes").intValue() >= a.get("forward_passes").intValue() - 1, what);
                int[] histogram = ints(a.get("accept_histogram"));
                assertEquals(tree.equals("chain:2") ? 3 : 4, histogram.length, what);
                assertEquals(a.get("forward_passes").intValue() - 1, Arrays.stream(histogram).sum(), what);
                JsonNode acceptance = a.get("head_acceptance");
                assertEquals(tree.equals("chain:2") ? 2 : 3, acceptance.size(), what);
                double previous = 1.0;
                for (JsonNode rate : acceptance) {
                    assertTrue(rate.doubleValue() >= 0 && rate.doubleValue() <= previous, what
                            + ": a head is accepted only when the heads before it were");
                    previous = rate.doubleValue();
                }
            }
            assertFailedRow(actual.get(3), "zero", "invalid_override");
        }
        assertEquals("stop", expected.get(2).get("finish_reason").asText(), "the stop string shows up: "
                + expected.get(2));
        assertFalse(expected.get(2).get("completion").asText().contains("to"), expected.get(2).toString());
    }

    @Test
    void logprobsFollowTheCompletionIdsWithTheirAlternatives() throws IOException {
        List<String> lines = List.of(
                "{\"id\": \"fool\", \"prompt\": \"A fool and his money\"}",
                "{\"id\": \"none\", \"prompt\": \"Life is\", \"logprobs\": -1}",
                "{\"id\": \"bad\", \"prompt\": \"Life is\", \"logprobs\": 21}");
        List<JsonNode> rows = generate("lp", lines, "--max-new-tokens", "6", "--threads", "2", "--logprobs", "3")
                .rows();
        JsonNode fool = rows.get(0);
        JsonNode logprobs = ((com.fasterxml.jackson.databind.node.ObjectNode) fool).remove("logprobs");
        assertGreedyRow(fool, "fool", "A fool and his money", 6);
        assertEquals(6, logprobs.size());
        for (int t = 0; t < logprobs.size(); t++) {
            JsonNode token = logprobs.get(t);
            assertEquals(fool.get("completion_ids").get(t).asInt(), token.get("id").asInt());
            assertEquals(3, token.get("top").size());
            // Greedy: the chosen token is the most likely one, and the alternatives are sorted.
            assertEquals(token.get("id").asInt(), token.get("top").get(0).get(0).asInt());
            assertEquals(token.get("logprob").asDouble(), token.get("top").get(0).get(1).asDouble());
            assertTrue(token.get("top").get(1).get(1).asDouble() <= token.get("top").get(0).get(1).asDouble());
            assertTrue(token.get("logprob").asDouble() <= 0);
        }
        assertFalse(rows.get(1).has("logprobs"), "a line may turn them off");
        assertFailedRow(rows.get(2), "bad", "invalid_override");
    }

    @Test
    void emptyInputGivesEmptyOutput() throws IOException {
        Path input = Files.write(tmp.resolve("blank.jsonl"), List.of("", "   "), StandardCharsets.UTF_8);
        Path output = tmp.resolve("blank.out.jsonl");
        assertEquals(0, StrideCli.run("generate", "--model", fixture(), "--input", input.toString(), "--output",
                output.toString(), "--threads", "1"));
        assertEquals(0, Files.size(output));
    }

    @Test
    void promptFlagsAllGoodExitZero() throws IOException {
        Path output = tmp.resolve("prompts.jsonl");
        int code = StrideCli.run("generate", "--model", fixture(), "--prompt", "You will be", "--prompt",
                "A fool and his money", "--output", output.toString(), "--max-new-tokens", "5", "--threads", "2");
        assertEquals(0, code);
        List<JsonNode> rows = readJsonl(output);
        assertEquals(2, rows.size());
        assertGreedyRow(rows.get(0), "0", "You will be", 5);
        assertGreedyRow(rows.get(1), "1", "A fool and his money", 5);
    }

    /** Standard output that records whether someone closed it. */
    private static final class TrackingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean closed;

        @Override
        public void write(int b) {
            bytes.write(b);
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void promptToStandardOutputLeavesItOpen() throws IOException {
        TrackingStream stdout = new TrackingStream();
        PrintStream original = System.out;
        int code;
        try (PrintStream capture = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = StrideCli.run("generate", "--model", fixture(), "--prompt", "Life is", "--max-new-tokens", "3",
                    "--threads", "2");
            assertFalse(stdout.closed, "generate closed standard output; an in-process caller cannot print anymore");
        } finally {
            System.setOut(original);
        }
        assertEquals(0, code);
        String[] lines = stdout.bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(1, lines.length, Arrays.toString(lines));
        assertGreedyRow(JSON.readTree(lines[0]), "0", "Life is", 3);
    }

    @Test
    void usageErrorsExitTwo() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, StrideCli.run("generate", "--prompt", "hi"), "missing --model");
            assertTrue(err.toString(StandardCharsets.UTF_8).contains("--model"), err.toString());
            assertEquals(2, StrideCli.run("generate", "--model", fixture()), "no prompts");
            assertEquals(2, StrideCli.run("generate", "--model", fixture(), "--prompt", "a", "--input", "x.jsonl"),
                    "--prompt and --input together");
            assertEquals(2, StrideCli.run("generate", "--model", fixture(), "--prompt", "a", "--max-new-tokens",
                    "many"));
            assertEquals(2, StrideCli.run("no-such-command"));
        } finally {
            System.setErr(originalErr);
        }
    }

    /**
     * Real-valued flags that a 32-bit float cannot hold are usage errors naming the flag: picocli's own conversion
     * made --temperature 1e-50 a temperature of 0, decoding greedily, and --top-p 1e39 a top-p of Infinity.
     */
    @Test
    void floatFlagsBeyondAFloatsRangeAreUsageErrors() {
        String output = tmp.resolve("o.jsonl").toString();
        String[][] cases = {
            {"--temperature", "1e-50"}, {"--top-p", "1e-50"}, {"--top-p", "1e39"},
        };
        for (String[] bad : cases) {
            String err = CliRuns.expecting(2, "generate", "--model", fixture(), "--prompt", "Life is", bad[0], bad[1],
                    "--output", output, "--max-new-tokens", "2", "--threads", "1");
            assertTrue(err.contains("'" + bad[0] + "'") && err.contains(bad[1]), err);
        }
        String err = CliRuns.expecting(2, "bench", "--model", fixture(), "--temperature", "1e-50", "--threads", "1");
        assertTrue(err.contains("'--temperature'") && err.contains("1e-50"), err);
    }

    /**
     * Input as editors save it: a UTF-8 byte-order mark (Windows Notepad), CRLF line ends, no newline after the last
     * line. Every line is a prompt with its id; the mark made the first line 'not JSON'.
     */
    @Test
    void aByteOrderMarkCrlfAndAMissingFinalNewlineAreRead() throws IOException {
        Path input = Files.writeString(tmp.resolve("bom.jsonl"), "\uFEFF{\"id\": \"a\", \"prompt\": \"Life is\"}\r\n"
                + "{\"id\": \"b\", \"prompt\": \"You will be\"}\r\n{\"id\": \"c\", \"prompt\": \"Life is\"}");
        Path output = tmp.resolve("bom.out.jsonl");
        String err = CliRuns.expecting(0, "generate", "--model", fixture(), "--input", input.toString(), "--output",
                output.toString(), "--max-new-tokens", "2", "--threads", "1");
        List<JsonNode> rows = readJsonl(output);
        assertEquals(3, rows.size(), err);
        assertGreedyRow(rows.get(0), "a", "Life is", 2);
        assertGreedyRow(rows.get(1), "b", "You will be", 2);
        assertGreedyRow(rows.get(2), "c", "Life is", 2);
    }

    /**
     * An --input that is missing or not UTF-8 is named with what is wrong, before --output is opened: the error was
     * the bare path or 'Input length = 1' (no file named), and the output file had already been emptied.
     */
    @Test
    void anUnreadableInputIsNamedAndTheOutputKept() throws IOException {
        Path output = Files.writeString(tmp.resolve("kept.jsonl"), "earlier results\n");
        Path missing = tmp.resolve("absent.jsonl");
        Path latin1 = Files.write(tmp.resolve("latin1.jsonl"),
                "{\"prompt\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        String[][] cases = {{missing.toString(), "no such file"}, {latin1.toString(), "not UTF-8"}};
        for (String[] bad : cases) {
            String err = CliRuns.expecting(1, "generate", "--model", fixture(), "--input", bad[0], "--output",
                    output.toString(), "--max-new-tokens", "2", "--threads", "1");
            assertTrue(err.contains("stride: " + bad[0] + ": " + bad[1]), err);
            assertEquals("earlier results\n", Files.readString(output), "the output is untouched");
        }
    }

    /**
     * --max-batch bounds the sequences in flight, it does not allocate them: 2147483647 failed as 'stride: -192' (an
     * overflowed array size) and 100000000 ran out of memory, before any prompt was decoded.
     */
    @Test
    void aHugeMaxBatchDecodesLikeTheDefault() throws IOException {
        List<String> lines = List.of("{\"id\": \"fool\", \"prompt\": \"A fool and his money\"}",
                "{\"id\": \"will\", \"prompt\": \"You will be\"}");
        Path heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        for (String batch : new String[] {"2147483647", "100000000"}) {
            Generated plain = generate("plain" + batch, lines, "--max-new-tokens", "6", "--threads", "1",
                    "--max-batch", batch);
            assertEquals(0, plain.code());
            assertGreedyRow(plain.rows().get(0), "fool", "A fool and his money", 6);
            assertGreedyRow(plain.rows().get(1), "will", "You will be", 6);
            Generated multi = generate("multi" + batch, lines, "--max-new-tokens", "6", "--threads", "1",
                    "--max-batch", batch, "--heads", heads.toString(), "--tree", "chain:2");
            assertEquals(0, multi.code());
            for (int i = 0; i < lines.size(); i++) {
                assertEquals(plain.rows().get(i).get("completion_ids"), multi.rows().get(i).get("completion_ids"));
            }
        }
    }

    /**
     * Sampling flags out of range are usage errors naming the flag and its value, found before the model loads: each
     * prompt failed instead, as an invalid_override of a key its line never set.
     */
    @Test
    void samplingFlagsOutOfRangeAreUsageErrors() {
        String[][] cases = {
            {"--max-new-tokens", "0"}, {"--temperature", "-1.5"}, {"--temperature", "NaN"}, {"--top-k", "-1"},
            {"--top-p", "0.0"}, {"--logprobs", "21"}, {"--stop", ""},
        };
        Path output = tmp.resolve("flags.jsonl");
        for (String[] bad : cases) {
            String err = CliRuns.expecting(2, "generate", "--model", fixture(), "--prompt", "Life is", "--output",
                    output.toString(), "--threads", "1", bad[0], bad[1]);
            assertTrue(err.startsWith("stride: " + bad[0] + ": " + bad[0].substring(2).replace('-', '_') + " "), err);
            assertTrue(bad[1].isEmpty() || err.contains("got " + bad[1]), err);
            assertFalse(Files.exists(output), "refused before the output is opened");
        }
    }

    /**
     * Decoding options refused by the decoder (--max-batch, --mode, --tree) leave an existing --output as it was, and
     * name the flag: the output was emptied first, and --max-batch 0 was 'max batch must be > 0'. A malformed --tree
     * is refused without heads too (it was ignored).
     */
    @Test
    void badDecodingOptionsLeaveTheOutputAlone() throws IOException {
        Path output = Files.writeString(tmp.resolve("kept.jsonl"), "earlier results\n");
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        String[][] cases = {{"--max-batch", "0"}, {"--mode", "fast"}, {"--heads", heads, "--tree", "bogus"},
            {"--tree", "bogus"}, {"--tree", "chain:0"}};
        for (String[] bad : cases) {
            List<String> args = new ArrayList<>(List.of("generate", "--model", fixture(), "--prompt", "Life is",
                    "--output", output.toString(), "--threads", "1"));
            args.addAll(List.of(bad));
            String err = CliRuns.expecting(2, args.toArray(String[]::new));
            String flag = bad[bad.length - 2] + " " + bad[bad.length - 1];
            assertTrue(err.contains("stride: " + flag), err);
            assertEquals("earlier results\n", Files.readString(output), flag + ": the output is untouched");
        }
    }

    /** An --output that cannot be written is named with why: the error was the bare path. */
    @Test
    void anUnwritableOutputIsNamedWithWhy() {
        Path noDirectory = tmp.resolve("no/such/o.jsonl");
        String err = CliRuns.expecting(1, "generate", "--model", fixture(), "--prompt", "Life is", "--output",
                noDirectory.toString(), "--max-new-tokens", "2", "--threads", "1");
        assertTrue(err.contains("stride: --output " + noDirectory + ": no such directory " + noDirectory.getParent()),
                err);
        err = CliRuns.expecting(1, "generate", "--model", fixture(), "--prompt", "Life is", "--output",
                tmp.toString(), "--max-new-tokens", "2", "--threads", "1");
        assertTrue(err.contains("stride: --output " + tmp + ": cannot write: "), err);
    }

    /**
     * An id that is an object or an array fails its line naming the id: Jackson's asText() made it "", so the row
     * came back under an empty id, decoded as if nothing were wrong.
     */
    @Test
    void anIdThatIsNoStringOrNumberFailsItsLine() throws IOException {
        List<String> lines = List.of("{\"id\": {\"user\": 7}, \"prompt\": \"Life is\"}",
                "{\"id\": [1, 2], \"prompt\": \"Life is\"}", "{\"id\": 7.5, \"prompt\": \"Life is\"}");
        Generated run = generate("ids", lines, "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, run.code());
        assertFailedRow(run.rows().get(0), "0", "invalid_input");
        assertTrue(run.rows().get(0).get("error").asText().contains("{\"user\":7}"), run.rows().get(0).toString());
        assertFailedRow(run.rows().get(1), "1", "invalid_input");
        assertGreedyRow(run.rows().get(2), "7.5", "Life is", 2);
    }

    /**
     * A prompt or chat messages of the wrong JSON type fail their line naming the field: Jackson's asText() made an
     * OpenAI-style list of content parts "", a null content "null" and a missing role "", and the chat template
     * rendered those as if they had been written; a prompt of token ids became "prompt is empty".
     */
    @Test
    void promptsAndMessagesOfTheWrongTypeFailTheirLineNamingTheField() throws IOException {
        Path model = Files.createDirectory(tmp.resolve("chat-model"));
        try (var files = Files.list(Fixtures.modelDir())) {
            for (Path file : files.toList()) {
                Files.copy(file, model.resolve(file.getFileName()));
            }
        }
        ObjectMapper json = new ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                model.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}");
        json.writeValue(model.resolve("tokenizer_config.json").toFile(), config);
        List<String> lines = List.of(
                "{\"id\": \"parts\", \"messages\": [{\"role\": \"user\", "
                        + "\"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}]}",
                "{\"id\": \"null\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, "
                        + "{\"role\": \"user\", \"content\": null}]}",
                "{\"id\": \"norole\", \"messages\": [{\"content\": \"hi\"}]}",
                "{\"id\": \"text\", \"messages\": [\"hi\"]}",
                "{\"id\": \"object\", \"messages\": {\"role\": \"user\", \"content\": \"hi\"}}",
                "{\"id\": \"ids\", \"prompt\": [67, 1353]}",
                "{\"id\": \"number\", \"prompt\": 42}",
                "{\"id\": \"ok\", \"messages\": [{\"role\": \"user\", \"content\": \"Life is\"}]}");
        Path input = Files.write(tmp.resolve("typed.jsonl"), lines, StandardCharsets.UTF_8);
        Path output = tmp.resolve("typed.out.jsonl");
        int code = StrideCli.run("generate", "--model", model.toString(), "--input", input.toString(), "--output",
                output.toString(), "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, code);
        List<JsonNode> rows = readJsonl(output);
        String[] fields = {"messages[0].content", "messages[1].content", "messages[0].role", "messages[0]",
            "messages", "prompt", "prompt"};
        for (int i = 0; i < fields.length; i++) {
            JsonNode row = rows.get(i);
            assertFailedRow(row, json.readTree(lines.get(i)).get("id").asText(), "invalid_input");
            String error = row.get("error").asText();
            assertTrue(error.contains("line " + (i + 1) + ": " + fields[i] + " must be "), error);
        }
        assertTrue(rows.get(7).get("error").isNull(), rows.get(7).toString());
        assertEquals(2, rows.get(7).get("completion_tokens").intValue());
    }

    /** --output naming the --input file (or a link to it) would truncate the prompts before they are read. */
    @Test
    void outputOntoTheInputFileIsRefusedAndTheInputKept() throws IOException {
        String line = "{\"id\": \"a\", \"prompt\": \"Life is\"}\n";
        Path input = Files.writeString(tmp.resolve("same.jsonl"), line);
        Path link = Files.createSymbolicLink(tmp.resolve("link.jsonl"), input);
        for (Path output : List.of(input, link)) {
            String err = CliRuns.expecting(1, "generate", "--model", fixture(), "--input", input.toString(),
                    "--output", output.toString(), "--max-new-tokens", "2", "--threads", "1");
            assertTrue(err.contains("stride: --output " + output) && err.contains("--input file " + input), err);
            assertEquals(line, Files.readString(input), "the prompts are kept");
        }
    }

    @Test
    void runtimeFailuresExitOne() throws IOException {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Path missing = tmp.resolve("no-model");
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, StrideCli.run("generate", "--model", missing.toString(), "--prompt", "hi",
                    "--output", tmp.resolve("o.jsonl").toString()));
            assertTrue(err.toString(StandardCharsets.UTF_8).contains(missing.toString()), err.toString());
            assertEquals(1, StrideCli.run("generate", "--model", fixture(), "--input",
                    tmp.resolve("absent.jsonl").toString(), "--output", tmp.resolve("o2.jsonl").toString()));
        } finally {
            System.setErr(originalErr);
        }
    }
}
