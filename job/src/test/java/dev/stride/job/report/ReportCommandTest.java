package dev.stride.job.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs the report over the hand-written runs of {@link SampleRuns} and checks its numbers against values worked out
 * by hand from those rows (prices: 3 USD per GPU-hour, 0.05 USD per CPU core-hour).
 */
class ReportCommandTest {

    private static final double EPS = 1e-9;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private record Result(int exitCode, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new ReportCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    private Result report(Path... inputs) {
        List<String> args = new ArrayList<>();
        for (Path input : inputs) {
            args.add("--input");
            args.add(input.toString());
        }
        args.addAll(List.of("--gpu-hour-price", "3", "--cpu-hour-price", "0.05", "--output",
                tmp.resolve("report").toString()));
        return run(args.toArray(String[]::new));
    }

    private Map<String, Double> csv() throws IOException {
        List<String> lines = Files.readAllLines(tmp.resolve("report/report.csv"));
        assertEquals("metric,value", lines.get(0));
        Map<String, Double> values = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cells = line.split(",", -1);
            assertEquals(2, cells.length, line);
            values.put(cells[0], cells[1].isEmpty() ? null : Double.valueOf(cells[1]));
        }
        return values;
    }

    /** The run in {@code dir} with its summary.json edited. */
    private static Path editedSummary(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path file = dir.resolve("_stride/summary.json");
        ObjectNode summary = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(summary);
        JSON.writeValue(file.toFile(), summary);
        return dir;
    }

    private JsonNode json() throws IOException {
        return JSON.readTree(tmp.resolve("report/report.json").toFile());
    }

    @Test
    void oneMultiTokenRunMatchesHandComputedFigures() throws IOException {
        Result result = report(SampleRuns.mtpRun(tmp.resolve("mtp")));
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().contains("740.74 USD per 1M output tokens"), result.out());

        Map<String, Double> m = csv();
        assertEquals(11, m.get("rows_total"));
        assertEquals(8, m.get("rows_ok"));
        assertEquals(3, m.get("rows_failed"));
        // 31 + 41 + 24 + 11 + 0 + 61 + 16 + 1 + 26 + 5 + 0
        assertEquals(216, m.get("completion_tokens"));
        assertEquals(216 / 90.0, m.get("output_tokens_per_s"), EPS); // 2.4
        assertEquals(216 / (90.0 * 2), m.get("output_tokens_per_s_per_executor"), EPS);
        assertEquals(0.05, m.get("gpu_hours"), EPS); // 90 s × 2 executors × 1 GPU
        assertEquals(0.2, m.get("cpu_core_hours"), EPS); // 90 s × 2 executors × 4 cores
        assertEquals(4320, m.get("output_tokens_per_gpu_hour"), 1e-6);
        assertEquals(1080, m.get("output_tokens_per_cpu_core_hour"), 1e-6);
        // Summed histogram [34, 49, 25]: 207 tokens in 108 passes.
        assertEquals(207 / 108.0, m.get("mean_tokens_per_pass"), EPS);
        // ok rows' decode_ms sorted: 5 40 60 80 100 120 150 200; ranks ceil(4) = 4, ceil(7.2) = 8, ceil(7.92) = 8.
        assertEquals(80, m.get("decode_ms_p50"));
        assertEquals(200, m.get("decode_ms_p90"));
        assertEquals(200, m.get("decode_ms_p99"));
        // 90 / 3600 × 2 × (1 × 3 + 4 × 0.05) = 0.16 USD
        double cost = 0.16;
        assertEquals(cost, m.get("cost_usd"), EPS);
        assertEquals(cost / 216 * 1e6, m.get("cost_per_1m_output_tokens_usd"), EPS); // 740.74
        double plain = cost * (207 / 108.0) / 1.25; // 0.24533
        assertEquals(plain, m.get("plain_decoding_cost_usd"), EPS);
        assertEquals(plain - cost, m.get("saved_usd"), EPS);
        assertEquals((plain - cost) / plain * 100, m.get("saved_percent"), EPS);

        JsonNode json = json();
        assertEquals(2, json.at("/errors_by_kind/empty_prompt").asInt());
        assertEquals(1, json.at("/errors_by_kind/generation_failed").asInt());
        assertEquals(2, json.get("errors_by_kind").size());
        assertArrayEquals(new double[] {1.5, 2.0, 2.3, 1.0, 3.0, 1.5, 25 / 15.0}, doubles(json.get("tokens_per_pass")));
        assertArrayEquals(new double[] {120, 80, 200, 40, 150, 60, 5, 100}, doubles(json.get("decode_ms")));
        assertArrayEquals(new double[] {34, 49, 25}, doubles(json.get("accept_histogram")));
        assertEquals(cost / 216 * 1e6, json.at("/summary/cost_per_1m_output_tokens_usd").asDouble(), EPS);
        assertEquals(1.25, json.at("/runs/0/pass_cost_ratio").asDouble());
        assertEquals(2, json.get("per_executor").size());
        assertEquals(0, json.get("warnings").size());
    }

    @Test
    void severalRunsAddUpAndPlainRunsSaveNothing() throws IOException {
        Result result = report(SampleRuns.mtpRun(tmp.resolve("mtp")), SampleRuns.arRun(tmp.resolve("ar")));
        assertEquals(0, result.exitCode(), result.err());

        Map<String, Double> m = csv();
        assertEquals(2, m.get("runs"));
        assertEquals(14, m.get("rows_total"));
        assertEquals(246, m.get("completion_tokens"));
        assertEquals(246 / 120.0, m.get("output_tokens_per_s"), EPS);
        assertEquals(246 / (180.0 + 30.0), m.get("output_tokens_per_s_per_executor"), EPS);
        // The plain run: 30 / 3600 × 1 × (0 × 3 + 8 × 0.05), and the same as its plain estimate.
        double arCost = 30 / 3600.0 * 8 * 0.05;
        double cost = 0.16 + arCost;
        assertEquals(cost, m.get("cost_usd"), EPS);
        assertEquals(cost / 246 * 1e6, m.get("cost_per_1m_output_tokens_usd"), EPS);
        double plain = 0.16 * (207 / 108.0) / 1.25 + arCost;
        assertEquals(plain - cost, m.get("saved_usd"), EPS);
        assertEquals(246 / 0.05, m.get("output_tokens_per_gpu_hour"), 1e-6);
        // decode_ms of 11 ok rows sorted: 5 10 20 30 40 60 80 100 120 150 200; ranks 6, 10, 11.
        assertEquals(60, m.get("decode_ms_p50"));
        assertEquals(150, m.get("decode_ms_p90"));
        assertEquals(200, m.get("decode_ms_p99"));
        // Histograms [34, 49, 25] + [27]: 234 tokens in 135 passes.
        assertEquals(234 / 135.0, m.get("mean_tokens_per_pass"), EPS);

        JsonNode runs = json().get("runs");
        assertEquals(arCost, runs.get(1).get("cost_usd").asDouble(), EPS);
        assertEquals(arCost, runs.get(1).get("plain_decoding_cost_usd").asDouble(), EPS);
        assertTrue(runs.get(1).get("pass_cost_ratio").isNull());
    }

    @Test
    void outputsWithAndWithoutTheLogprobsColumnGiveTheSameFiguresPlusTheMeanTokenLogprob() throws IOException {
        Path ar = SampleRuns.arRun(tmp.resolve("ar"));
        assertEquals(0, report(SampleRuns.mtpRun(tmp.resolve("mtp")), ar).exitCode());
        Map<String, Double> without = csv();
        assertNull(without.get("mean_token_logprob"), "no run has the column");
        assertTrue(json().at("/summary/mean_token_logprob").isNull());

        Result result = report(SampleRuns.mtpRunWithLogprobs(tmp.resolve("mtp-logprobs")), ar);
        assertEquals(0, result.exitCode(), result.err());
        Map<String, Double> with = csv();
        assertEquals(without.keySet(), with.keySet());
        without.forEach((metric, value) -> {
            if (!metric.equals("mean_token_logprob")) {
                assertEquals(value, with.get(metric), metric);
            }
        });
        // Ok rows of the mtp run: 31 41 24 11 61 16 1 26 tokens (211), token k at -(k + 1) / 8, so a row of n
        // tokens sums to -n(n + 1) / 16: -(992 + 1722 + 600 + 132 + 3782 + 272 + 2 + 702) / 16 = -512.75. The failed
        // rows and the plain run have no logprobs.
        assertEquals(-512.75 / 211, with.get("mean_token_logprob"), EPS);
        assertEquals(-512.75 / 211, json().at("/summary/mean_token_logprob").asDouble(), EPS);
    }

    @Test
    void logprobsColumnOfAnotherShapeIsRejected() throws IOException {
        Path dir = SampleRuns.mtpRun(tmp.resolve("mtp"));
        MessageType schema = MessageTypeParser.parseMessageType(SampleRuns.SCHEMA.toString()
                .replaceFirst("}\\s*$", "optional binary logprobs (STRING); }"));
        Files.delete(dir.resolve("part-00001-0b9f-c000.snappy.parquet"));
        SampleRuns.write(dir.resolve("part-00001-0b9f-c000.snappy.parquet"), schema, List.of());
        Result result = report(dir);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("column 'logprobs' has type"), result.err());
    }

    @Test
    void anOldSummaryWithoutExecutorTimeIsBilledForTheWholeWallTime() throws IOException {
        assertEquals(0, report(SampleRuns.mtpRun(tmp.resolve("mtp"))).exitCode());
        Map<String, Double> m = csv();
        assertEquals(90.0 * 2, m.get("executor_seconds_alive"), EPS);
        assertNull(m.get("executor_seconds_busy"));
        assertNull(m.get("utilisation"));
        assertEquals(0.16, m.get("cost_usd"), EPS);
    }

    @Test
    void aNewSummaryIsBilledForTheExecutorSecondsAlive() throws IOException {
        // Three executors generated rows (one killed and replaced), but at most two were alive at once: 120
        // executor-seconds alive of which 96 busy, not 90 s × 3.
        Path dir = editedSummary(SampleRuns.mtpRun(tmp.resolve("mtp")), summary -> {
            summary.put("executors", 3);
            summary.put("executor_seconds_alive", 120.0);
            summary.put("executor_seconds_busy", 96.0);
        });
        Result result = report(dir);
        assertEquals(0, result.exitCode(), result.err());

        Map<String, Double> m = csv();
        assertEquals(120.0, m.get("executor_seconds_alive"), EPS);
        assertEquals(96.0, m.get("executor_seconds_busy"), EPS);
        assertEquals(0.8, m.get("utilisation"), EPS);
        assertEquals(120.0 / 3600, m.get("gpu_hours"), EPS); // 1 GPU per executor
        assertEquals(120.0 / 3600 * 4, m.get("cpu_core_hours"), EPS);
        assertEquals(120.0 / 3600 * (1 * 3 + 4 * 0.05), m.get("cost_usd"), EPS);
        assertEquals(216 / 120.0, m.get("output_tokens_per_s_per_executor"), EPS);
        JsonNode run = json().get("runs").get(0);
        assertEquals(120.0, run.get("billed_executor_seconds").asDouble(), EPS);
        assertTrue(Files.readString(tmp.resolve("report/report.md")).contains("Utilisation"));
    }

    @Test
    void aResumedRunSetsItsCostAgainstTheTokensItGenerated() throws IOException {
        // The run resumed one that died: its summary counts all 216 output tokens, but its executors generated 50
        // in its 90 s; the rest are the dead run's, whose time no summary records.
        Path dir = editedSummary(SampleRuns.mtpRun(tmp.resolve("mtp")), summary ->
                summary.set("per_executor", JSON.valueToTree(List.of(SampleRuns.executor("3", 2, 50, 40.0)))));
        Result result = report(dir);
        assertEquals(0, result.exitCode(), result.err());

        Map<String, Double> m = csv();
        assertEquals(216, m.get("completion_tokens"));
        assertEquals(50, m.get("generated_tokens"));
        assertEquals(50 / 90.0, m.get("output_tokens_per_s"), EPS);
        assertEquals(50 / (90.0 * 2), m.get("output_tokens_per_s_per_executor"), EPS);
        assertEquals(50 / 0.05, m.get("output_tokens_per_gpu_hour"), 1e-6);
        assertEquals(0.16 / 50 * 1e6, m.get("cost_per_1m_output_tokens_usd"), EPS);
        assertEquals(50, json().at("/runs/0/generated_tokens").asLong());
        assertEquals(0, json().get("warnings").size(), "the rows still add up to the summary's 216 tokens");
    }

    @Test
    void figuresThatDoNotApplyAreEmpty() throws IOException {
        // The plain run has no GPU: nothing per GPU-hour.
        assertEquals(0, report(SampleRuns.arRun(tmp.resolve("ar"))).exitCode());
        Map<String, Double> m = csv();
        assertEquals(0.0, m.get("gpu_hours"));
        assertNull(m.get("output_tokens_per_gpu_hour"));
        assertEquals(0.0, m.get("saved_usd"));
        assertTrue(json().at("/summary/output_tokens_per_gpu_hour").isNull());
    }

    @Test
    void writesSelfContainedHtmlWithChartsAndMarkdown() throws IOException {
        assertEquals(0, report(SampleRuns.mtpRun(tmp.resolve("mtp"))).exitCode());
        String html = Files.readString(tmp.resolve("report/report.html"));
        assertEquals(6, count(html, "<svg "));
        assertFalse(html.contains("<script"));
        assertFalse(Pattern.compile("(src|href)=").matcher(html).find(), "nothing to fetch");
        assertTrue(html.contains("Cost per 1M output tokens"));
        assertTrue(html.contains("generation_failed"));
        assertTrue(html.contains("pass_cost_ratio"), "definitions are part of the report");
        String md = Files.readString(tmp.resolve("report/report.md"));
        assertTrue(md.contains("| Cost per 1M output tokens (USD) | 740.74 |"), md);
        assertTrue(md.contains("| empty_prompt | 2 |"), md);
    }

    @Test
    void summaryThatDisagreesWithRowsIsReported() throws IOException {
        Path dir = SampleRuns.mtpRun(tmp.resolve("mtp"));
        Map<String, Object> summary = SampleRuns.summary("r", "mtp", 90.0, 2, 4, 1, SampleRuns.MTP_PARTS, 1.25);
        summary.put("rows_total", 12);
        summary.put("per_executor", List.of());
        SampleRuns.writeSummary(dir, summary);
        Result result = report(dir);
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.err().contains("warning: the summaries count 12 rows but the Parquet files hold 11"),
                result.err());
        assertEquals(1, json().get("warnings").size());
    }

    @Test
    void missingInputDirectoryIsAnInputError() {
        Result result = report(tmp.resolve("nowhere"));
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("input directory not found: " + tmp.resolve("nowhere")), result.err());
        assertFalse(Files.exists(tmp.resolve("report")));
    }

    /** Hadoop's Path refuses these before any file is touched: an input error, not picocli's stack trace. */
    @Test
    void inputThatIsNoPathIsAnInputError() {
        for (String input : List.of("", "run:1")) {
            Result result = run("--input", input, "--output", tmp.resolve("report").toString());
            assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), input + ": " + result.err());
            assertTrue(result.err().startsWith("report: "), result.err());
            assertFalse(result.err().contains("\tat "), result.err());
        }
    }

    @Test
    void missingSummarySaysTheRunDidNotFinish() throws IOException {
        Path dir = tmp.resolve("unfinished");
        SampleRuns.writeParts(dir, SampleRuns.MTP_PARTS, "mtp", "h");
        Result result = report(dir);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("no run summary at"), result.err());
        assertTrue(result.err().contains("--resume"), result.err());
    }

    @Test
    void summaryMissingAFieldIsRejected() throws IOException {
        Path dir = SampleRuns.mtpRun(tmp.resolve("mtp"));
        Map<String, Object> summary = SampleRuns.summary("r", "mtp", 90.0, 2, 4, 1, SampleRuns.MTP_PARTS, 1.25);
        summary.remove("wall_seconds");
        SampleRuns.writeSummary(dir, summary);
        Result result = report(dir);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("not a valid Stride run summary"), result.err());
        assertTrue(result.err().contains("wall_seconds"), result.err());
    }

    @Test
    void partFileWithoutTheDocumentedColumnsIsRejected() throws IOException {
        Path dir = SampleRuns.mtpRun(tmp.resolve("mtp"));
        MessageType schema = MessageTypeParser.parseMessageType(
                "message m { required binary id (STRING); required int32 completion_tokens; }");
        SampleRuns.write(dir.resolve("part-00009-x.snappy.parquet"), schema,
                List.of(new SimpleGroupFactory(schema).newGroup()
                        .append("id", "a").append("completion_tokens", 1)));
        Result result = report(dir);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("has no column 'tokens_per_pass'"), result.err());
    }

    /** A writer with accept_histogram as array<bigint>: rejected by name, not with a ClassCastException's text. */
    @Test
    void partFileWithAHistogramOfAnotherElementTypeIsRejected() throws IOException {
        Path dir = SampleRuns.mtpRun(tmp.resolve("mtp"));
        MessageType schema = MessageTypeParser.parseMessageType(SampleRuns.SCHEMA.toString()
                .replace("required int32 element", "required int64 element"));
        Group row = new SimpleGroupFactory(schema).newGroup().append("id", "a").append("prompt_tokens", 1)
                .append("completion_tokens", 4).append("forward_passes", 2).append("tokens_per_pass", 3.0);
        row.addGroup("accept_histogram").addGroup("list").append("element", 1L);
        row.append("decode_ms", 1.0).append("model", "m").append("mode", "mtp").append("executor", "e");
        SampleRuns.write(dir.resolve("part-00009-x.snappy.parquet"), schema, List.of(row));
        Result result = report(dir);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode());
        assertTrue(result.err().contains("part-00009-x.snappy.parquet: column 'accept_histogram' has type"),
                result.err());
        assertFalse(result.err().contains("cannot be cast"), result.err());
    }

    /** Summary values that Jackson accepts but no finished run writes: "NaN", Infinity, present-but-null strings. */
    @Test
    void summaryWithNonFiniteOrNullValuesIsAnInputError() throws IOException {
        Map<String, Object> broken = new LinkedHashMap<>();
        broken.put("wall_seconds", "NaN");
        broken.put("mean_tokens_per_pass", "Infinity");
        broken.put("pass_cost_ratio", "NaN");
        broken.put("run_id", null);
        broken.put("device", null);
        int run = 0;
        for (Map.Entry<String, Object> field : broken.entrySet()) {
            Path dir = SampleRuns.mtpRun(tmp.resolve("run" + run++));
            Map<String, Object> summary = SampleRuns.summary("r", "mtp", 90.0, 2, 4, 1, SampleRuns.MTP_PARTS, 1.25);
            summary.put("per_executor", List.of());
            summary.put(field.getKey(), field.getValue());
            SampleRuns.writeSummary(dir, summary);
            Result result = report(dir);
            assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), field + ": " + result.err());
            assertTrue(result.err().contains("not a valid Stride run summary")
                    && result.err().contains(field.getKey()), result.err());
            assertFalse(result.err().contains("Exception"), result.err());
        }
    }

    /** max_new_tokens 1 (or every row failed): no decode pass, so no tokens per pass to price plain decoding by. */
    @Test
    void multiTokenRunWithoutDecodePassesSavesNothing() throws IOException {
        Path dir = tmp.resolve("one-token");
        List<List<SampleRuns.Row>> parts = List.of(List.of(SampleRuns.Row.ok(1, new int[0], 5),
                SampleRuns.Row.ok(1, new int[0], 6)));
        SampleRuns.writeParts(dir, parts, "mtp", "h");
        Map<String, Object> summary = SampleRuns.summary("r", "mtp", 90.0, 2, 4, 1, parts, 1.25);
        summary.put("per_executor", List.of());
        SampleRuns.writeSummary(dir, summary);
        Result result = report(dir);
        assertEquals(0, result.exitCode(), result.err());
        Map<String, Double> m = csv();
        assertEquals(m.get("cost_usd"), m.get("plain_decoding_cost_usd"));
        assertEquals(0.0, m.get("saved_usd"));
    }

    @Test
    void badArgumentsAreUsageErrors() {
        assertEquals(2, run("--output", tmp.toString()).exitCode());
        Result negative = run("--input", tmp.toString(), "--gpu-hour-price", "-1");
        assertEquals(2, negative.exitCode());
        assertTrue(negative.err().contains("prices must be finite and >= 0"), negative.err());
        Result infinite = run("--input", tmp.toString(), "--gpu-hour-price", "1e309");
        assertEquals(2, infinite.exitCode(), infinite.err());
        assertTrue(infinite.err().contains("prices must be finite and >= 0"), infinite.err());
    }

    /** Error kinds, run ids and paths come from the data: a pipe, newline or backtick must not break report.md. */
    @Test
    void markdownEscapesPipesNewlinesAndBackticksFromTheData() throws IOException {
        Path dir = tmp.resolve("md|`odd`");
        List<List<SampleRuns.Row>> parts = List.of(List.of(SampleRuns.Row.ok(3, new int[] {3}, 5),
                SampleRuns.Row.failed(0, new int[0], 0, "bad|kind: x"),
                SampleRuns.Row.failed(0, new int[0], 0, "line\n| fake | 99 |")));
        SampleRuns.writeParts(dir, parts, "mtp", "h");
        Map<String, Object> summary = SampleRuns.summary("r`1|x", "mtp", 9.0, 1, 4, 1, parts, 1.25);
        summary.put("per_executor", List.of());
        @SuppressWarnings("unchecked")
        Map<String, Object> model = new HashMap<>((Map<String, Object>) summary.get("model"));
        model.put("name", "m\n## injected <b>x</b>");
        summary.put("model", model);
        SampleRuns.writeSummary(dir, summary);
        assertEquals(0, report(dir).exitCode());
        String md = Files.readString(tmp.resolve("report/report.md"));
        assertFalse(md.contains("\n## injected"), "a model name's line break starts no heading: " + md);
        assertTrue(md.contains("`m ## injected <b>x</b>`"), "the model name in a code span: " + md);
        for (String line : md.split("\n")) {
            if (line.startsWith("|")) {
                assertEquals(3, line.split("(?<!\\\\)\\|", -1).length - 1, "one row of two cells: " + line);
            }
            assertFalse(line.startsWith("| fake"), md);
        }
        String failures = md.substring(md.indexOf("## Failures"), md.indexOf("## Definitions"));
        assertEquals(2, count(failures, "| 1 |"), failures);
        String runLine = md.lines().filter(l -> l.startsWith("- run ")).findFirst().orElseThrow();
        assertEquals(4, count(runLine, "``"), "run id and path in double-backtick code spans: " + runLine);
    }

    /** "NaN"/"Infinity" per-executor figures: a bar chart of them must not hang nor write NaN into report.json. */
    @Test
    void perExecutorWithNonFiniteFiguresIsAnInputError() {
        for (String field : List.of("output_tokens_per_s", "busy_seconds")) {
            for (String value : List.of("Infinity", "NaN")) {
                Result result = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                    Path dir = SampleRuns.mtpRun(tmp.resolve(field + value));
                    Map<String, Object> executor = SampleRuns.executor("1", 11, 216, 80.0);
                    executor.put(field, value);
                    editedSummary(dir, s -> s.set("per_executor", JSON.valueToTree(List.of(executor))));
                    return report(dir);
                });
                assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), field + value + ": " + result.err());
                assertTrue(result.err().contains("not a valid Stride run summary")
                        && result.err().contains("per_executor"), result.err());
            }
        }
    }

    /** A part file with NaN or infinite decode_ms / tokens_per_pass: an input error naming file, row and column. */
    @Test
    void partFileWithNonFiniteNumbersIsAnInputError() throws IOException {
        int run = 0;
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            for (boolean decodeMs : new boolean[] {true, false}) {
                Path dir = tmp.resolve("nonfinite" + run++);
                SampleRuns.Row good = SampleRuns.Row.ok(3, new int[] {3}, 5);
                SampleRuns.Row row = decodeMs ? new SampleRuns.Row(3, 3.0, new int[] {1}, bad, null)
                        : new SampleRuns.Row(3, bad, new int[] {1}, 5, null);
                List<List<SampleRuns.Row>> parts = List.of(List.of(good, good, row));
                SampleRuns.writeParts(dir, parts, "mtp", "h");
                Map<String, Object> summary = SampleRuns.summary("r", "mtp", 9.0, 1, 4, 1, parts, 1.25);
                summary.put("per_executor", List.of());
                SampleRuns.writeSummary(dir, summary);
                Result result = report(dir);
                String column = decodeMs ? "decode_ms" : "tokens_per_pass";
                assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), column + bad + ": " + result.err());
                assertTrue(result.err().contains("part-00000-0b9f-c000.snappy.parquet")
                        && result.err().contains("row 3") && result.err().contains(column), result.err());
                assertFalse(result.err().contains("Exception"), result.err());
            }
        }
    }

    /** Counts below zero in a part file would turn token totals and tokens per pass negative. */
    @Test
    void partFileWithNegativeCountsIsAnInputError() throws IOException {
        SampleRuns.Row good = SampleRuns.Row.ok(3, new int[] {3}, 5);
        SampleRuns.Row[] bad = {new SampleRuns.Row(-1, 3.0, new int[] {1}, 5, null),
            new SampleRuns.Row(3, 3.0, new int[] {1, -2}, 5, null)};
        String[] columns = {"completion_tokens", "accept_histogram"};
        for (int i = 0; i < bad.length; i++) {
            Path dir = tmp.resolve("negative" + i);
            List<List<SampleRuns.Row>> parts = List.of(List.of(good, good, bad[i]));
            SampleRuns.writeParts(dir, parts, "mtp", "h");
            Map<String, Object> summary = SampleRuns.summary("r", "mtp", 9.0, 1, 4, 1, parts, 1.25);
            summary.put("per_executor", List.of());
            SampleRuns.writeSummary(dir, summary);
            Result result = report(dir);
            assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), columns[i] + ": " + result.err());
            assertTrue(result.err().contains("row 3") && result.err().contains(columns[i]), result.err());
        }
    }

    /** Each summary is in range, but their totals are not: the report must say so, not print Infinity or crash. */
    @Test
    void totalsBeyondTheRangeOfADoubleAreAnInputError() throws IOException {
        Path first = editedSummary(SampleRuns.arRun(tmp.resolve("ar1")), s -> s.put("wall_seconds", 1e308));
        Path second = editedSummary(SampleRuns.arRun(tmp.resolve("ar2")), s -> s.put("wall_seconds", 1e308));
        Result result = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> report(first, second));
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), result.err());
        assertTrue(result.err().contains("wall_seconds"), result.err());
        assertFalse(result.err().contains("Exception"), result.err());
    }

    /** Token counts whose sum over runs exceeds a long must not wrap round to a negative total. */
    @Test
    void tokenTotalsBeyondTheRangeOfALongAreAnInputError() throws IOException {
        long huge = Long.MAX_VALUE - 10;
        Consumer<ObjectNode> edit = s -> {
            s.put("completion_tokens", huge);
            ((ObjectNode) s.get("per_executor").get(0)).put("completion_tokens", huge);
        };
        Path first = editedSummary(SampleRuns.arRun(tmp.resolve("ar1")), edit);
        Path second = editedSummary(SampleRuns.arRun(tmp.resolve("ar2")), edit);
        Result result = report(first, second);
        assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), result.err() + result.out());
        assertTrue(result.err().contains("completion_tokens"), result.err());
        assertFalse(result.err().contains("Exception"), result.err());
    }

    /** A negative count is no run's output: it would turn the cost per token negative. */
    @Test
    void negativeCountsInASummaryAreAnInputError() throws IOException {
        List<Consumer<ObjectNode>> edits = List.of(
                s -> ((ObjectNode) s.get("per_executor").get(0)).put("completion_tokens", -30),
                s -> s.put("completion_tokens", -30));
        for (int i = 0; i < edits.size(); i++) {
            Result result = report(editedSummary(SampleRuns.arRun(tmp.resolve("ar" + i)), edits.get(i)));
            assertEquals(ReportCommand.EXIT_INPUT, result.exitCode(), result.err() + result.out());
            assertTrue(result.err().contains("not a valid Stride run summary")
                    && result.err().contains("completion_tokens"), result.err());
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] values = new double[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asDouble();
        }
        return values;
    }

    private static int count(String text, String needle) {
        Matcher matcher = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }
}
