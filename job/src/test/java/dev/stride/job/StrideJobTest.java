package dev.stride.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.job.infer.ModelRegistry;
import dev.stride.job.io.JobSchema;
import dev.stride.job.io.OutputDirectory;
import dev.stride.job.report.ReportCommand;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class StrideJobTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final int MAX_NEW_TOKENS = 12;
    private static final long JOB_SEED = 5;

    @TempDir
    static Path shared;
    private static Path mixedOutput;
    private static RunSummary mixedSummary;

    @TempDir
    Path dir;

    /** One run over good and bad rows, shared by the tests that only read its output. */
    @BeforeAll
    static void runMixedPrompts() {
        Path input = TestPrompts.write(spark(), TestPrompts.all(), shared.resolve("in"));
        mixedOutput = shared.resolve("out");
        mixedSummary = JobRuns.run(spark(), "--input", input.toString(), "--output", mixedOutput.toString(),
                "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS), "--max-batch", "3", "--seed",
                String.valueOf(JOB_SEED));
    }

    @Test
    void outputFollowsTheContractAndMatchesADirectEngineRun() {
        Dataset<Row> output = spark().read().parquet(mixedOutput.toString());
        List<StructField> kept = Arrays.stream(TestPrompts.SCHEMA.fields())
                .filter(field -> !field.name().equals("id")).toList();
        assertEquals(describe(JobSchema.output(kept).fields()), describe(output.schema().fields()));

        Map<String, GenerationResult> expected = JobRuns.direct(TestPrompts.good(), MAX_NEW_TOKENS, JOB_SEED, 4);
        Map<String, Row> rows = byId(output);
        for (Row input : TestPrompts.good()) {
            String id = input.getAs("id");
            Row row = rows.get(id);
            GenerationResult result = expected.get(id);
            assertNull(row.getAs("error"), id);
            assertEquals(result.completion(), row.getAs("completion"), id);
            assertEquals(result.finishReason().wireName(), row.getAs("finish_reason"), id);
            assertEquals(result.promptTokens(), (int) row.getAs("prompt_tokens"), id);
            assertEquals(result.completionTokens(), (int) row.getAs("completion_tokens"), id);
            assertEquals(result.forwardPasses(), (int) row.getAs("forward_passes"), id);
            assertEquals(input.<String>getAs("prompt"), row.getAs("prompt"), id);
            assertEquals(input.<String>getAs("category"), row.getAs("category"), id);
            assertEquals(JobRuns.FIXTURE.getFileName().toString(), row.getAs("model"));
            assertNull(row.getAs("heads"));
            assertEquals("ar", row.getAs("mode"));
            assertEquals("driver", row.getAs("executor"));
        }
    }

    @Test
    void everyInputRowComesOutOnceAndBadRowsCarryTheirErrorKind() {
        Dataset<Row> output = spark().read().parquet(mixedOutput.toString());
        assertEquals(TestPrompts.all().size(), output.count());
        assertEquals(TestPrompts.all().size(), output.select("id").distinct().count());
        Map<String, Row> rows = byId(output);
        TestPrompts.BAD_ROWS.forEach((id, kind) -> {
            Row row = rows.get(id);
            assertTrue(row.<String>getAs("error").startsWith(kind + ": "), id + ": " + row.getAs("error"));
            assertNull(row.getAs("completion"), id);
            assertNull(row.getAs("finish_reason"), id);
            assertEquals(0, (int) row.getAs("completion_tokens"), id);
        });
        assertTrue((int) rows.get("bad-long").getAs("prompt_tokens") >= 512);
    }

    /** More rows than the partition's batcher prepares or hands to Spark at once; bad rows scattered and in a streak. */
    @Test
    void rowsAcrossManyBatcherGroupsComeOutOnceWithTheirOwnCompletions() {
        List<Row> good = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int copy = 0; copy < 4; copy++) {
            for (Row row : TestPrompts.good()) {
                good.add(TestPrompts.renamed(row, row.getAs("id") + "-" + copy));
                rows.add(good.get(good.size() - 1));
            }
            rows.add(TestPrompts.renamed(TestPrompts.bad().get(copy), "scattered-" + copy));
            if (copy == 1) {
                for (int i = 0; i < 40; i++) {
                    rows.add(TestPrompts.renamed(TestPrompts.bad().get(1), "streak-" + i));
                }
            }
        }
        Path output = dir.resolve("out");
        JobRuns.run(spark(), "--input", TestPrompts.write(spark(), rows, dir.resolve("in")).toString(), "--output",
                output.toString(), "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS), "--max-batch", "3", "--seed",
                String.valueOf(JOB_SEED), "--partitions", "1");

        Map<String, Row> byId = byId(spark().read().parquet(output.toString()));
        assertEquals(rows.size(), spark().read().parquet(output.toString()).count());
        assertEquals(rows.stream().map(row -> row.<String>getAs("id")).collect(Collectors.toSet()), byId.keySet());
        JobRuns.direct(good, MAX_NEW_TOKENS, JOB_SEED, 4).forEach((id, result) ->
                assertEquals(result.completion(), byId.get(id).getAs("completion"), id));
        rows.stream().map(row -> row.<String>getAs("id")).filter(id -> !id.startsWith("g"))
                .forEach(id -> assertNotNull(byId.get(id).getAs("error"), id));
    }

    @Test
    void summaryAgreesWithTheOutputRows() throws IOException {
        Dataset<Row> output = spark().read().parquet(mixedOutput.toString());
        Row totals = output.selectExpr("count(*)", "count(error)", "sum(prompt_tokens)", "sum(completion_tokens)",
                "sum(forward_passes)", "sum(aggregate(accept_histogram, 0, (a, x) -> a + x))").first();
        JsonNode json = new ObjectMapper().readTree(mixedOutput.resolve("_stride/summary.json").toFile());

        assertEquals(List.of("run_id", "stride_version", "spark_version", "started_at", "finished_at",
                "wall_seconds", "input", "output", "model", "heads", "mode", "tree", "device", "executors",
                "cores_per_executor", "gpus_per_executor", "executor_seconds_alive", "executor_seconds_busy",
                "utilisation", "rows_total", "rows_ok", "rows_failed", "duplicate_rows_dropped", "failed_rows",
                "errors_by_kind", "prompt_tokens", "completion_tokens", "forward_passes", "decode_passes",
                "output_tokens_per_s", "mean_tokens_per_pass", "accept_histogram", "pass_cost_ratio",
                "per_executor", "warnings", "config"), fieldNames(json));
        assertEquals(totals.getLong(0), json.get("rows_total").asLong());
        assertEquals(totals.getLong(1), json.get("rows_failed").asLong());
        assertEquals(totals.getLong(0) - totals.getLong(1), json.get("rows_ok").asLong());
        assertEquals(0, json.get("duplicate_rows_dropped").asLong());
        assertEquals(totals.getLong(2), json.get("prompt_tokens").asLong());
        assertEquals(totals.getLong(3), json.get("completion_tokens").asLong());
        assertEquals(totals.getLong(4), json.get("forward_passes").asLong());
        assertEquals(totals.getLong(5), json.get("decode_passes").asLong());
        long histogramTotal = 0;
        for (JsonNode count : json.get("accept_histogram")) {
            histogramTotal += count.asLong();
        }
        assertEquals(totals.getLong(5), histogramTotal);

        Set<String> failedIds = new HashSet<>();
        json.get("failed_rows").forEach(row -> failedIds.add(row.get("id").asText()));
        assertEquals(TestPrompts.BAD_ROWS.keySet(), failedIds);
        Map<String, Long> byKind = TestPrompts.BAD_ROWS.values().stream()
                .collect(Collectors.groupingBy(kind -> kind, Collectors.counting()));
        Map<String, Long> reported = new HashMap<>();
        json.get("errors_by_kind").fields().forEachRemaining(e -> reported.put(e.getKey(), e.getValue().asLong()));
        assertEquals(byKind, reported);

        assertEquals("fortunes-llama-2m", json.get("model").get("name").asText());
        assertEquals("packed_float16", json.get("model").get("weight_layout").asText(), "the demo is F16");
        assertTrue(json.get("heads").isNull());
        assertTrue(json.get("pass_cost_ratio").isNull());
        assertEquals("ar", json.get("mode").asText());
        assertEquals(1, json.get("executors").asInt());
        assertEquals("driver", json.get("per_executor").get(0).get("executor").asText());
        assertEquals(totals.getLong(0), json.get("per_executor").get(0).get("rows").asLong());
        JsonNode executor = json.get("per_executor").get(0);
        assertTrue(executor.get("device").asText().startsWith("cpu ("), executor.toString());
        assertEquals(Engine.vectorBits(), executor.get("vector_bits").asInt());
        assertEquals("packed_float16", executor.get("weight_layout").asText());
        assertEquals(System.getProperty("java.version"), executor.get("java_version").asText());
        // Executor time from Spark's own events: local mode's one executor, alive for the whole run.
        double alive = json.get("executor_seconds_alive").asDouble();
        double busy = json.get("executor_seconds_busy").asDouble();
        assertTrue(busy > 0, json.toString());
        assertTrue(alive >= busy, alive + " alive < " + busy + " busy");
        assertTrue(alive <= json.get("wall_seconds").asDouble() + 1e-9, alive + " alive > wall");
        assertEquals(busy / alive, json.get("utilisation").asDouble(), 1e-9);
        assertEquals(alive, executor.get("alive_seconds").asDouble(), 1e-9);
        assertEquals(0, json.get("warnings").size(), "one executor agrees with itself");
        assertTrue(json.get("config").get("logprobs").isNull(), "logprobs off");
        assertEquals(MAX_NEW_TOKENS, json.get("config").get("max_new_tokens").asInt());
        assertEquals(mixedSummary.rowsTotal(), json.get("rows_total").asLong());

        // summary.parquet: the fixed columns (a plain run's null heads and pass_cost_ratio typed as in any run, its
        // errors_by_kind a map) holding summary.json's values.
        Dataset<Row> table = spark().read().parquet(mixedOutput.resolve("_stride/summary.parquet").toString());
        assertEquals(OutputDirectory.SUMMARY_TABLE, table.schema());
        assertEquals(fieldNames(json), List.of(table.schema().fieldNames()));
        assertEquals(fieldNames(json.get("config")), List.of(((StructType) table.schema().apply("config").dataType())
                .fieldNames()));
        assertSameValues(json, new ObjectMapper().readTree(table.toJSON().first()), "summary");
    }

    /** Every non-null value of {@code expected} in {@code actual} (numbers by value: Spark writes 4 as 4.0). */
    private static void assertSameValues(JsonNode expected, JsonNode actual, String path) {
        if (expected.isNull()) {
            assertTrue(actual == null || actual.isNull(), path + ": " + actual);
        } else if (expected.isObject()) {
            expected.fields().forEachRemaining(field -> assertSameValues(field.getValue(),
                    actual.get(field.getKey()), path + "." + field.getKey()));
        } else if (expected.isArray()) {
            assertEquals(expected.size(), actual.size(), path);
            for (int i = 0; i < expected.size(); i++) {
                assertSameValues(expected.get(i), actual.get(i), path + "[" + i + "]");
            }
        } else if (expected.isNumber()) {
            assertEquals(expected.asDouble(), actual.asDouble(), path);
        } else {
            assertEquals(expected, actual, path);
        }
    }

    /**
     * --logprobs 3 over the mixed rows, plainly and with the bundled heads: one entry per completion token with the
     * token's id, at most zero log-probability and its top alternatives in order, the same bits in both modes, and
     * completions unchanged. Rows g02 and g03 override the option (0 alternatives, none at all).
     */
    @Test
    void logprobsFollowTheCompletionIdsAndAreTheSameBitsInPlainAndMultiTokenDecoding() {
        Path input = dir.resolve("in");
        spark().createDataFrame(TestPrompts.all(), TestPrompts.SCHEMA)
                .withColumn("logprobs", when(col("id").equalTo("g02"), lit(0))
                        .when(col("id").equalTo("g03"), lit(-1)).otherwise(lit(null).cast("int")))
                .coalesce(1).write().parquet(input.toString());
        Path heads = JobRuns.FIXTURE.resolveSibling("fortunes-llama-2m-heads");
        String[] common = {"--input", input.toString(), "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS),
            "--max-batch", "3", "--seed", String.valueOf(JOB_SEED), "--logprobs", "3"};
        RunSummary ar = JobRuns.run(spark(), concat(common, "--output", dir.resolve("ar").toString()));
        RunSummary mtp = JobRuns.run(spark(), concat(common, "--output", dir.resolve("mtp").toString(), "--heads",
                heads.toString(), "--mode", "mtp", "--tree", "nodes:8"));
        assertEquals("ar", ar.mode());
        assertTrue(mtp.meanTokensPerPass() > 1, "multi-token passes happened: " + mtp.meanTokensPerPass());
        assertEquals(DraftVocabulary.read(heads, 2048).size(), mtp.heads().draftTokens(),
                "the summary gives the bundled heads' draft vocabulary");
        assertEquals(3, ar.config().get("logprobs"));

        Dataset<Row> plainOutput = spark().read().parquet(dir.resolve("ar").toString());
        List<StructField> kept = Arrays.stream(TestPrompts.SCHEMA.fields())
                .filter(field -> !field.name().equals("id")).toList();
        assertEquals(describe(JobSchema.output(kept, true).fields()), describe(plainOutput.schema().fields()),
                "the logprobs override column is not kept; the result column comes last");

        Map<String, GenerationResult> expected = JobRuns.direct(TestPrompts.good(), MAX_NEW_TOKENS, JOB_SEED, 4);
        Map<String, Row> plain = byId(plainOutput);
        Map<String, Row> multi = byId(spark().read().parquet(dir.resolve("mtp").toString()));
        Map<String, Row> withoutLogprobs = byId(spark().read().parquet(mixedOutput.toString()));
        int checkedTokens = 0;
        for (Row inputRow : TestPrompts.all()) {
            String id = inputRow.getAs("id");
            Row row = plain.get(id);
            assertEquals(withoutLogprobs.get(id).<String>getAs("completion"), row.getAs("completion"), id);
            assertEquals(bits(row), bits(multi.get(id)), id);
            if (TestPrompts.BAD_ROWS.containsKey(id) || id.equals("g03")) {
                assertTrue(row.isNullAt(row.fieldIndex("logprobs")), id);
                continue;
            }
            int[] ids = expected.get(id).completionIds();
            List<Row> tokens = row.getList(row.fieldIndex("logprobs"));
            assertEquals(ids.length, tokens.size(), id);
            assertEquals((int) row.getAs("completion_tokens"), tokens.size(), id);
            boolean greedy = inputRow.getAs("temperature") == null;
            int alternatives = id.equals("g02") ? 0 : 3;
            for (int k = 0; k < tokens.size(); k++) {
                Row token = tokens.get(k);
                String where = id + " token " + k;
                assertEquals(ids[k], token.getInt(0), where);
                float logprob = token.getFloat(1);
                assertTrue(logprob <= 0, where + ": " + logprob);
                List<Row> top = token.getList(2);
                assertEquals(alternatives, top.size(), where);
                for (int j = 0; j < top.size(); j++) {
                    assertTrue(top.get(j).getFloat(1) <= 0, where);
                    if (j > 0) {
                        assertTrue(top.get(j - 1).getFloat(1) >= top.get(j).getFloat(1), where + ": " + top);
                    }
                    if (top.get(j).getInt(0) == ids[k]) {
                        assertEquals(Float.floatToRawIntBits(logprob), Float.floatToRawIntBits(top.get(j).getFloat(1)),
                                where);
                    }
                }
                if (greedy && alternatives > 0) {
                    assertEquals(ids[k], top.get(0).getInt(0), where + ": greedy takes the most likely token");
                }
                checkedTokens++;
            }
        }
        assertTrue(checkedTokens > 40, "tokens checked: " + checkedTokens);

        // The cost report reads outputs with and without the column; its mean covers the tokens that have one.
        Path report = dir.resolve("report");
        assertEquals(0, ReportCommand.execute("--input", mixedOutput.toString(), "--input",
                dir.resolve("ar").toString(), "--output", report.toString()));
        double mean = plainOutput.where("error is null").selectExpr("explode(logprobs) as t")
                .selectExpr("avg(cast(t.logprob as double))").first().getDouble(0);
        assertEquals(mean, reportValue(report, "mean_token_logprob"), 1e-9 * Math.abs(mean));
        assertEquals(0, ReportCommand.execute("--input", mixedOutput.toString(), "--output",
                dir.resolve("report-plain").toString()));
        assertEquals("", reportCell(dir.resolve("report-plain"), "mean_token_logprob"));
    }

    @Test
    void consoleSummaryLabelsWallClockThroughputApartFromDecodingThroughput() {
        String table = SummaryTable.format(mixedSummary, "SUMMARY");
        assertFalse(table.contains("\u001b"), table);
        RunSummary.ExecutorSummary executor = mixedSummary.perExecutor().get(0);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT,
                "throughput       %.1f tokens/s wall clock incl. start-up (this run's tokens / %.1f s)",
                mixedSummary.outputTokensPerS(), mixedSummary.wallSeconds())), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT,
                "decoding         %.1f tokens/s summed over executors (tokens / busy time)",
                executor.outputTokensPerS())), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT,
                "executor time    %.1f executor-seconds alive, %.1f busy, utilisation %.0f%%",
                mixedSummary.executorSecondsAlive(), mixedSummary.executorSecondsBusy(),
                mixedSummary.utilisation() * 100)), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "alive %.1f s, busy %.1f s,",
                executor.aliveSeconds(), executor.busySeconds())), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "busy %.1f s, decoding %.1f tokens/s;",
                executor.busySeconds(), executor.outputTokensPerS())), table);
        assertTrue(executor.outputTokensPerS() > mixedSummary.outputTokensPerS(),
                "decoding excludes start-up, so it is the larger figure: " + table);
    }

    @Test
    void resumingWithOtherOutputColumnsIsRefused() {
        CliResult result = cli("--input", shared.resolve("in").toString(), "--output", mixedOutput.toString(),
                "--resume", "--logprobs", "2");
        assertEquals(RunCommand.EXIT_SETUP, result.exitCode());
        assertTrue(result.stderr().contains("but this run would write") && result.stderr().contains("--logprobs"),
                result.stderr());
    }

    @Test
    void q8RunSaysSoInItsSummary() {
        RunSummary summary = JobRuns.run(spark(), "--input", shared.resolve("in").toString(), "--output",
                dir.resolve("q8").toString(), "--max-new-tokens", "4", "--weights", "q8");
        assertEquals("q8", summary.model().weightLayout());
        summary.perExecutor().forEach(executor -> assertEquals("q8", executor.weightLayout()));
        assertEquals(mixedSummary.rowsTotal(), summary.rowsTotal());
    }

    /**
     * The pass-cost ratio prices the passes the run decoded: rows that all stop before a decode pass leave nothing to
     * price (the ratio was the tree's largest pass, set against no pass at all), and one-node trees cost one plain
     * pass each.
     */
    @Test
    void passCostRatioComesFromThePassesTheRunDecoded() {
        Path heads = TestHeads.write(dir.resolve("ratio-heads"), 3);
        Path input = dir.resolve("ratio-in");
        spark().sql("select cast(id as string) as id, 'Life is' as prompt from range(3)").write()
                .parquet(input.toString());
        String[] run = {"--input", input.toString(), "--heads", heads.toString(), "--mode", "mtp"};
        RunSummary none = JobRuns.run(spark(), concat(run, "--output", dir.resolve("none").toString(),
                "--max-new-tokens", "1"));
        assertEquals(0, none.decodePasses());
        assertNull(none.passCostRatio());
        RunSummary chain = JobRuns.run(spark(), concat(run, "--output", dir.resolve("chain").toString(),
                "--max-new-tokens", "4", "--tree", "chain:1"));
        assertTrue(chain.decodePasses() > 0 && chain.passCostRatio() != null && chain.passCostRatio() >= 1,
                "a pass of one or two rows: " + chain.passCostRatio());
    }

    @Test
    void multiTokenDecodingGivesThePlainCompletions() {
        Path heads = TestHeads.write(dir.resolve("test-heads"), 3);
        Path output = dir.resolve("mtp");
        RunSummary summary = JobRuns.run(spark(), "--input", shared.resolve("in").toString(), "--output",
                output.toString(), "--max-new-tokens", String.valueOf(MAX_NEW_TOKENS), "--max-batch", "3", "--seed",
                String.valueOf(JOB_SEED), "--heads", heads.toString(), "--mode", "mtp");

        String[] decoded = {"id", "completion", "finish_reason", "prompt_tokens", "completion_tokens", "error"};
        Dataset<Row> plain = spark().read().parquet(mixedOutput.toString());
        Dataset<Row> multi = spark().read().parquet(output.toString());
        JobRuns.assertSameRows(plain.selectExpr(decoded).orderBy("id").collectAsList(),
                multi.selectExpr(decoded).orderBy("id").collectAsList());
        assertEquals(List.of("mtp:test-heads"), multi.where("error is null")
                .selectExpr("concat(mode, ':', heads)").distinct().as(Encoders.STRING()).collectAsList());

        assertEquals("mtp", summary.mode());
        assertEquals("test-heads", summary.heads().name());
        assertEquals(3, summary.heads().numHeads());
        assertTrue(summary.passCostRatio() != null && summary.passCostRatio() > 0, "pass cost ratio");
        assertTrue(summary.forwardPasses() <= mixedSummary.forwardPasses());
    }

    @Test
    void outputDoesNotDependOnPartitioningOrBatchSize() {
        Path input = TestPrompts.write(spark(), TestPrompts.all(), TestPrompts.SCHEMA, dir.resolve("in"), 2);
        String[] sampled = {"--input", input.toString(), "--max-new-tokens", "6", "--temperature", "0.8"};
        JobRuns.run(spark(), concat(sampled, "--output", dir.resolve("a").toString(), "--partitions", "1",
                "--max-batch", "1"));
        JobRuns.run(spark(), concat(sampled, "--output", dir.resolve("b").toString(), "--partitions", "3",
                "--max-batch", "4"));
        JobRuns.assertSameOutput(spark(), dir.resolve("a"), dir.resolve("b"));
    }

    @Test
    void derivedIdsComeFromFileAndRowPositionWhateverThePartitioning() throws IOException {
        Path input = dir.resolve("in");
        spark().createDataFrame(TestPrompts.good(), TestPrompts.SCHEMA).select("prompt", "category").repartition(2)
                .write().parquet(input.toString());
        String[] common = {"--input", input.toString(), "--max-new-tokens", "2", "--keep-columns", "prompt"};
        JobRuns.run(spark(), concat(common, "--output", dir.resolve("a").toString(), "--partitions", "1"));
        JobRuns.run(spark(), concat(common, "--output", dir.resolve("b").toString(), "--partitions", "3"));
        JobRuns.assertSameOutput(spark(), dir.resolve("a"), dir.resolve("b"));

        Map<String, String> promptById = new HashMap<>();
        for (Row row : spark().read().parquet(dir.resolve("a").toString()).select("id", "prompt").collectAsList()) {
            promptById.put(row.getString(0), row.getString(1));
        }
        Map<String, String> expected = new HashMap<>();
        try (Stream<Path> files = Files.list(input)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
                String stem = file.getFileName().toString().replaceAll("\\.parquet$", "");
                List<Row> rows = spark().read().parquet(file.toString()).select("prompt").collectAsList();
                for (int i = 0; i < rows.size(); i++) {
                    expected.put(stem + ":" + i, rows.get(i).getString(0));
                }
            }
        }
        assertEquals(expected, promptById);
        assertEquals(List.of("id", "prompt"), List.of(spark().read().parquet(dir.resolve("a").toString())
                .schema().fieldNames()).subList(0, 2));
    }

    @Test
    void resumeGeneratesOnlyTheRowsMissingFromTheOutput() throws IOException {
        Path input = TestPrompts.write(spark(), TestPrompts.all(), dir.resolve("in"));
        Path output = dir.resolve("out");
        String[] args = {"--input", input.toString(), "--max-new-tokens", "4",
            "--partitions", "3", "--temperature", "0.5"};
        JobRuns.run(spark(), concat(args, "--output", output.toString()));
        List<Row> complete = JobRuns.comparable(spark(), output);

        // A run that died after some tasks committed: drop one committed part file.
        Path lost;
        try (Stream<Path> files = Files.list(output)) {
            lost = files.filter(f -> f.getFileName().toString().startsWith("part-")).sorted().findFirst()
                    .orElseThrow();
        }
        long lostRows = spark().read().parquet(lost.toString()).count();
        assertTrue(lostRows > 0);
        Files.delete(lost);

        RunSummary resumed = JobRuns.run(spark(), concat(args, "--output", output.toString(), "--resume"));
        JobRuns.assertSameRows(complete, JobRuns.comparable(spark(), output));
        assertEquals(TestPrompts.all().size(), resumed.rowsTotal());
        assertEquals(TestPrompts.BAD_ROWS.size(), resumed.rowsFailed());
        assertEquals(lostRows, resumed.perExecutor().stream().mapToLong(RunSummary.ExecutorSummary::rows).sum());
    }

    @Test
    void existingOutputWithoutResumeIsRefused() {
        assertEquals(RunCommand.EXIT_SETUP, cli("--input", shared.resolve("in").toString(), "--output",
                mixedOutput.toString()).exitCode());
    }

    @Test
    void theModelIsLoadedOncePerJvmNotPerTask() {
        int loads = ModelRegistry.loads();
        JobRuns.run(spark(), "--input", shared.resolve("in").toString(), "--output", dir.resolve("o").toString(),
                "--max-new-tokens", "2", "--partitions", "3");
        assertTrue(loads >= 1);
        assertEquals(loads, ModelRegistry.loads());
    }

    @Test
    void aModelShippedWithArchivesIsFoundInSparkFiles() throws IOException {
        Path archive = dir.resolve("model.zip");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(archive));
             Stream<Path> files = Files.list(JobRuns.FIXTURE)) {
            for (Path file : files.toList()) {
                zip.putNextEntry(new ZipEntry(file.getFileName().toString()));
                Files.copy(file, zip);
                zip.closeEntry();
            }
        }
        spark().sparkContext().addArchive(archive + "#shipped-model");
        RunSummary summary = JobRuns.run(spark(), "--model", "shipped-model", "--input",
                shared.resolve("in").toString(), "--output", dir.resolve("out").toString(), "--max-new-tokens", "2");
        assertEquals("shipped-model", summary.model().name());
        assertEquals(TestPrompts.all().size() - TestPrompts.BAD_ROWS.size(), summary.rowsOk());
    }

    @Test
    void missingPromptColumnIsAClearErrorBeforeAnyWork() {
        Path input = dir.resolve("in");
        spark().sql("select 'x' as id, 'hello' as text").write().parquet(input.toString());
        CliResult result = cli("--input", input.toString(), "--output", dir.resolve("out").toString());
        assertEquals(RunCommand.EXIT_SETUP, result.exitCode());
        assertTrue(result.stderr().contains("prompt column 'prompt' is missing"), result.stderr());
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void wronglyTypedColumnsAreNamedWithExpectedAndActualType() {
        Path input = dir.resolve("in");
        spark().sql("select 1 as prompt, 'hot' as temperature").write().parquet(input.toString());
        CliResult result = cli("--input", input.toString(), "--output", dir.resolve("out").toString());
        assertEquals(RunCommand.EXIT_SETUP, result.exitCode());
        assertTrue(result.stderr().contains("column 'prompt' must be string, found int"), result.stderr());
        assertTrue(result.stderr().contains("column 'temperature' must be double (or decimal(p,s), float), found "
                + "string"), result.stderr());
    }

    @Test
    void badArgumentsPrintUsage() {
        CliResult result = cli("--output", dir.resolve("out").toString(), "--max-batch", "0");
        assertEquals(2, result.exitCode());
        assertTrue(result.stderr().contains("--max-batch must be >= 1, got 0") && result.stderr().contains("Usage:"),
                result.stderr());
        CliResult threads = cli("--output", dir.resolve("out").toString(), "--threads", "1025");
        assertEquals(2, threads.exitCode());
        assertTrue(threads.stderr().contains("--threads must be <= 1024, got 1025"), threads.stderr());
        CliResult tree = cli("--output", dir.resolve("out").toString(), "--mode", "ar", "--tree", "bogus");
        assertEquals(2, tree.exitCode());
        assertTrue(tree.stderr().contains("--tree bogus: expected auto, static"), tree.stderr());
        CliResult topP = cli("--output", dir.resolve("out").toString(), "--top-p", "1.5");
        assertEquals(2, topP.exitCode());
        assertTrue(topP.stderr().contains("--top-p must be in (0, 1], got 1.5"), topP.stderr());
    }

    @Test
    void reportIsASubcommand() {
        assertEquals(0, StrideJob.execute("report", "--help"));
    }

    @Test
    void theBundledSampleSetRuns() {
        Path samples = JobRuns.FIXTURE.getParent().getParent().resolve("samples/prompts.parquet");
        RunSummary summary = JobRuns.run(spark(), "--input", samples.toString(), "--output",
                dir.resolve("out").toString(), "--max-new-tokens", "2");
        assertEquals(spark().read().parquet(samples.toString()).count(), summary.rowsTotal());
        assertEquals(Map.of("empty_prompt", 1L, "invalid_override", 1L), summary.errorsByKind());
    }

    private record CliResult(int exitCode, String stderr) {
    }

    /** Runs the command line as main does (on the fixture's session, which it leaves running). */
    private static CliResult cli(String... args) {
        PrintStream original = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exitCode = StrideJob.execute(concat(new String[] {"--model", JobRuns.FIXTURE.toString()}, args));
            return new CliResult(exitCode, err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(original);
        }
    }

    /** A row's logprobs as exact bits: "id:bits[topId:bits ...]" per token; null when the row has none. */
    private static List<String> bits(Row row) {
        if (row.isNullAt(row.fieldIndex("logprobs"))) {
            return null;
        }
        List<String> tokens = new ArrayList<>();
        for (Row token : row.<Row>getList(row.fieldIndex("logprobs"))) {
            StringBuilder text = new StringBuilder().append(token.getInt(0)).append(':')
                    .append(Float.floatToRawIntBits(token.getFloat(1))).append('[');
            for (Row top : token.<Row>getList(2)) {
                text.append(top.getInt(0)).append(':').append(Float.floatToRawIntBits(top.getFloat(1))).append(' ');
            }
            tokens.add(text.append(']').toString());
        }
        return tokens;
    }

    private static String reportCell(Path report, String metric) {
        try {
            return Files.readAllLines(report.resolve("report.csv")).stream()
                    .filter(line -> line.startsWith(metric + ",")).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + metric + " in report.csv"))
                    .substring(metric.length() + 1);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double reportValue(Path report, String metric) {
        return Double.parseDouble(reportCell(report, metric));
    }

    private static SparkSession spark() {
        return SPARK.session();
    }

    private static Map<String, Row> byId(Dataset<Row> output) {
        return output.collectAsList().stream().collect(Collectors.toMap(row -> row.getAs("id"), row -> row));
    }

    private static List<String> describe(StructField[] fields) {
        return Arrays.stream(fields).map(f -> f.name() + ":" + f.dataType().catalogString()).toList();
    }

    private static List<String> fieldNames(JsonNode json) {
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String[] concat(String[] first, String... more) {
        return Stream.concat(Arrays.stream(first), Arrays.stream(more)).toArray(String[]::new);
    }
}
