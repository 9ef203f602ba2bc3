package dev.stride.job.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * Small job outputs written by hand, laid out as Spark and the job write them (docs/job-output.md): snappy part
 * files, _SUCCESS, _stride/summary.json and _stride/summary.parquet/. Their figures are worked out in
 * {@link ReportCommandTest}. {@link #main} writes both runs to a directory, to try the report and notebook by hand.
 */
public final class SampleRuns {

    /** One output row's report columns; the others get fixed values. */
    record Row(int completionTokens, double tokensPerPass, int[] acceptHistogram, double decodeMs, String error) {

        static Row ok(int completionTokens, int[] acceptHistogram, double decodeMs) {
            return of(completionTokens, acceptHistogram, decodeMs, null);
        }

        static Row failed(int completionTokens, int[] acceptHistogram, double decodeMs, String error) {
            return of(completionTokens, acceptHistogram, decodeMs, error);
        }

        // tokens_per_pass as the engine computes it: decode tokens / decode passes, 0 without a decode pass.
        private static Row of(int completionTokens, int[] acceptHistogram, double decodeMs, String error) {
            int passes = Arrays.stream(acceptHistogram).sum();
            int tokens = 0;
            for (int i = 0; i < acceptHistogram.length; i++) {
                tokens += (i + 1) * acceptHistogram[i];
            }
            return new Row(completionTokens, passes == 0 ? 0.0 : (double) tokens / passes, acceptHistogram, decodeMs,
                    error);
        }
    }

    // Spark's schema for the output of docs/job-output.md, with one kept input column (prompt).
    static final MessageType SCHEMA = MessageTypeParser.parseMessageType("""
            message spark_schema {
              required binary id (STRING);
              optional binary prompt (STRING);
              optional binary completion (STRING);
              optional binary finish_reason (STRING);
              required int32 prompt_tokens;
              required int32 completion_tokens;
              required int32 forward_passes;
              required double tokens_per_pass;
              required group accept_histogram (LIST) {
                repeated group list {
                  required int32 element;
                }
              }
              required double decode_ms;
              required binary model (STRING);
              optional binary heads (STRING);
              required binary mode (STRING);
              required binary executor (STRING);
              optional binary error (STRING);
            }""");

    // The same with the logprobs column of a run with --logprobs, as Spark writes it.
    static final MessageType SCHEMA_WITH_LOGPROBS = MessageTypeParser.parseMessageType(
            SCHEMA.toString().replaceFirst("}\\s*$", """
              optional group logprobs (LIST) {
                repeated group list {
                  required group element {
                    required int32 id;
                    required float logprob;
                    required group top (LIST) {
                      repeated group list {
                        required group element {
                          required int32 id;
                          required float logprob;
                        }
                      }
                    }
                  }
                }
              }
            }"""));

    /** 11 rows in two part files: 8 ok (one without a decode pass), 2 empty_prompt, 1 generation_failed. */
    static final List<List<Row>> MTP_PARTS = List.of(
            List.of(Row.ok(31, new int[] {10, 10}, 120),
                    Row.ok(41, new int[] {0, 20}, 80),
                    Row.ok(24, new int[] {2, 3, 5}, 200),
                    Row.ok(11, new int[] {10}, 40),
                    Row.failed(0, new int[0], 0, "empty_prompt: prompt is empty")),
            List.of(Row.ok(61, new int[] {0, 0, 20}, 150),
                    Row.ok(16, new int[] {5, 5}, 60),
                    Row.ok(1, new int[0], 5),
                    Row.ok(26, new int[] {5, 10}, 100),
                    Row.failed(5, new int[] {2, 1}, 30, "generation_failed: CUDA error: out of memory"),
                    Row.failed(0, new int[0], 0, "empty_prompt: prompt is empty")));

    /** Three plain-decoding rows in one part file. */
    static final List<List<Row>> AR_PARTS = List.of(List.of(
            Row.ok(10, new int[] {9}, 10), Row.ok(10, new int[] {9}, 20), Row.ok(10, new int[] {9}, 30)));

    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleRuns() {
    }

    /** Writes both runs to DIR/mtp-run and DIR/ar-run. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "stride-out/sample-runs");
        System.out.println("wrote " + mtpRun(dir.resolve("mtp-run")) + " and " + arRun(dir.resolve("ar-run")));
    }

    /** A multi-token run: 2 executors × (1 GPU, 4 cores) for 90 s, pass cost ratio 1.25. */
    static Path mtpRun(Path dir) throws IOException {
        writeParts(dir, MTP_PARTS, "mtp", "tiny-heads");
        Map<String, Object> summary = summary("2026-11-29T06:00:00Z-mtp001", "mtp", 90.0, 2, 4, 1, MTP_PARTS, 1.25);
        summary.put("per_executor", List.of(executor("1", 5, 107, 80.0), executor("2", 6, 109, 85.0)));
        return writeSummary(dir, summary);
    }

    /** A plain-decoding run: 1 executor × 8 cores, no GPU, for 30 s. */
    static Path arRun(Path dir) throws IOException {
        writeParts(dir, AR_PARTS, "ar", null);
        Map<String, Object> summary = summary("2026-11-29T07:00:00Z-ar0001", "ar", 30.0, 1, 8, 0, AR_PARTS, null);
        summary.put("per_executor", List.of(executor("driver", 3, 30, 25.0)));
        return writeSummary(dir, summary);
    }

    /**
     * {@link #mtpRun} with the logprobs column: an ok row's token k (from 0) has log-probability -(k + 1) / 8 and two
     * alternatives; failed rows have none.
     */
    static Path mtpRunWithLogprobs(Path dir) throws IOException {
        writeParts(dir, MTP_PARTS, "mtp", "tiny-heads", true);
        Map<String, Object> summary = summary("2026-11-29T06:00:00Z-mtp002", "mtp", 90.0, 2, 4, 1, MTP_PARTS, 1.25);
        summary.put("per_executor", List.of(executor("1", 5, 107, 80.0), executor("2", 6, 109, 85.0)));
        return writeSummary(dir, summary);
    }

    static Path writeSummary(Path dir, Map<String, Object> summary) throws IOException {
        Path file = dir.resolve(RunOutputReader.SUMMARY);
        Files.createDirectories(file.getParent());
        JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), summary);
        return dir;
    }

    /** The summary the job would write for these rows; its totals follow from them. */
    static Map<String, Object> summary(String runId, String mode, double wallSeconds, int executors, int cores,
                                       int gpus, List<List<Row>> parts, Double passCostRatio) {
        List<Row> rows = parts.stream().flatMap(List::stream).toList();
        long[] histogram = summedHistogram(rows);
        long passes = Arrays.stream(histogram).sum();
        long decodeTokens = 0;
        for (int i = 0; i < histogram.length; i++) {
            decodeTokens += (i + 1) * histogram[i];
        }
        long failed = rows.stream().filter(r -> r.error() != null).count();
        long completionTokens = rows.stream().mapToLong(Row::completionTokens).sum();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("run_id", runId);
        s.put("stride_version", "0.1.0-SNAPSHOT");
        s.put("spark_version", "4.0.1");
        s.put("started_at", "2026-11-29T06:00:00Z");
        s.put("finished_at", "2026-11-29T06:01:30Z");
        s.put("wall_seconds", wallSeconds);
        s.put("input", "prompts.parquet");
        s.put("output", "out");
        s.put("model", Map.of("name", "fortunes-llama-2m", "path", "model", "parameters", 1967808,
                "weight_bytes", 3935616, "dtype", "F16"));
        s.put("heads", null);
        s.put("mode", mode);
        s.put("tree", "auto");
        s.put("device", gpus > 0 ? "cuda" : "cpu");
        s.put("executors", executors);
        s.put("cores_per_executor", cores);
        s.put("gpus_per_executor", gpus);
        s.put("rows_total", rows.size());
        s.put("rows_ok", rows.size() - failed);
        s.put("rows_failed", failed);
        s.put("failed_rows", List.of());
        s.put("errors_by_kind", Map.of());
        s.put("prompt_tokens", 7L * rows.size());
        s.put("completion_tokens", completionTokens);
        s.put("forward_passes", passes + rows.size());
        s.put("decode_passes", passes);
        s.put("output_tokens_per_s", completionTokens / wallSeconds);
        s.put("mean_tokens_per_pass", passes == 0 ? 0.0 : (double) decodeTokens / passes);
        s.put("accept_histogram", histogram);
        s.put("pass_cost_ratio", passCostRatio);
        s.put("config", Map.of("max_new_tokens", 64, "max_batch", 8, "seed", 0));
        return s;
    }

    static long[] summedHistogram(List<Row> rows) {
        long[] sum = new long[rows.stream().mapToInt(r -> r.acceptHistogram().length).max().orElse(0)];
        for (Row row : rows) {
            for (int i = 0; i < row.acceptHistogram().length; i++) {
                sum[i] += row.acceptHistogram()[i];
            }
        }
        return sum;
    }

    static Map<String, Object> executor(String id, long rows, long tokens, double busySeconds) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("executor", id);
        e.put("rows", rows);
        e.put("completion_tokens", tokens);
        e.put("busy_seconds", busySeconds);
        e.put("output_tokens_per_s", tokens / busySeconds);
        return e;
    }

    /** Part files as Spark names them, plus the files a reader must skip. */
    static void writeParts(Path dir, List<List<Row>> parts, String mode, String heads) throws IOException {
        writeParts(dir, parts, mode, heads, false);
    }

    static void writeParts(Path dir, List<List<Row>> parts, String mode, String heads, boolean logprobs)
            throws IOException {
        MessageType schema = logprobs ? SCHEMA_WITH_LOGPROBS : SCHEMA;
        Files.createDirectories(dir);
        int id = 0;
        for (int p = 0; p < parts.size(); p++) {
            Path file = dir.resolve(String.format("part-%05d-0b9f-c000.snappy.parquet", p));
            List<Group> groups = new ArrayList<>();
            SimpleGroupFactory factory = new SimpleGroupFactory(schema);
            for (Row row : parts.get(p)) {
                Group group = group(factory, row, "row-" + id++, mode, heads, "executor-" + p);
                if (logprobs && row.error() == null) {
                    Group tokens = group.addGroup("logprobs");
                    for (int k = 0; k < row.completionTokens(); k++) {
                        Group token = tokens.addGroup("list").addGroup("element").append("id", 100 + k)
                                .append("logprob", -(k + 1) / 8f);
                        Group top = token.addGroup("top");
                        top.addGroup("list").addGroup("element").append("id", 100 + k).append("logprob", -(k + 1) / 8f);
                        top.addGroup("list").addGroup("element").append("id", 7).append("logprob", -20f);
                    }
                }
                groups.add(group);
            }
            write(file, schema, groups);
        }
        Files.writeString(dir.resolve("_SUCCESS"), "");
        // The job's one-row summary table has other columns; reading it as rows would fail.
        MessageType summarySchema = MessageTypeParser.parseMessageType("message s { required binary run_id; }");
        write(dir.resolve("_stride/summary.parquet/part-00000.snappy.parquet"), summarySchema,
                List.of(new SimpleGroupFactory(summarySchema).newGroup().append("run_id", "x")));
    }

    private static Group group(SimpleGroupFactory factory, Row row, String id, String mode, String heads,
                               String executor) {
        Group g = factory.newGroup().append("id", id).append("prompt", "Tell me a fortune");
        if (row.error() == null) {
            g.append("completion", "You will write a report.").append("finish_reason", "length");
        }
        g.append("prompt_tokens", 7).append("completion_tokens", row.completionTokens())
                .append("forward_passes", Arrays.stream(row.acceptHistogram()).sum() + 1)
                .append("tokens_per_pass", row.tokensPerPass());
        Group histogram = g.addGroup("accept_histogram");
        for (int count : row.acceptHistogram()) {
            histogram.addGroup("list").append("element", count);
        }
        g.append("decode_ms", row.decodeMs()).append("model", "fortunes-llama-2m");
        if (heads != null) {
            g.append("heads", heads);
        }
        g.append("mode", mode).append("executor", executor);
        if (row.error() != null) {
            g.append("error", row.error());
        }
        return g;
    }

    static void write(Path file, MessageType schema, List<Group> groups) throws IOException {
        Files.createDirectories(file.getParent());
        try (ParquetWriter<Group> writer = ExampleParquetWriter
                .builder(new org.apache.hadoop.fs.Path(file.toUri()))
                .withConf(new Configuration())
                .withType(schema)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .build()) {
            for (Group group : groups) {
                writer.write(group);
            }
        }
    }
}
