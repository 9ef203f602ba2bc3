package dev.stride.job.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.TestPrompts;
import dev.stride.job.io.JobSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.AccumulatorContext;
import org.apache.spark.util.AccumulatorV2;
import org.apache.spark.util.CollectionAccumulator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;

class StrideGeneratorTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final int MAX_NEW_TOKENS = 12;
    private static final long SEED = 5;

    @TempDir
    static Path shared;
    private static Path input;

    @TempDir
    Path dir;

    @BeforeAll
    static void writePrompts() {
        input = TestPrompts.write(spark(), TestPrompts.all(), shared.resolve("in"));
    }

    @Test
    void transformEqualsTheJobsOutputRowForRow() {
        Path output = shared.resolve("job-out");
        JobRuns.run(spark(), "--input", input.toString(), "--output", output.toString(), "--max-new-tokens",
                String.valueOf(MAX_NEW_TOKENS), "--max-batch", "3", "--seed", String.valueOf(SEED));
        List<Row> job = JobRuns.comparable(spark(), output);

        Dataset<Row> transformed = generator().transform(prompts());
        // The input's columns come first, as they are, then the job's result columns.
        List<String> expectedColumns = Stream.concat(Arrays.stream(TestPrompts.SCHEMA.fieldNames()),
                Arrays.stream(JobSchema.RESULT.fieldNames())).toList();
        assertEquals(expectedColumns, List.of(transformed.columns()));
        assertEquals(TestPrompts.all().size(), job.size());
        JobRuns.assertSameRows(job, comparable(transformed));
    }

    @Test
    void aPipelineHoldingTheGeneratorSavesAndLoadsAndGeneratesTheSameRows() throws Exception {
        StrideGenerator generator = generator().setTemperature(0.8).setTopK(20).setStop("\n", "zz")
                .setOutputPrefix("gen_");
        PipelineModel model = new Pipeline().setStages(new PipelineStage[] {generator}).fit(prompts());
        List<Row> before = comparable(model.transform(prompts()), "gen_");

        Path saved = dir.resolve("pipeline");
        model.write().save(saved.toString());
        PipelineModel loaded = PipelineModel.load(saved.toString());

        StrideGenerator stage = (StrideGenerator) loaded.stages()[0];
        assertEquals(generator.uid(), stage.uid());
        assertEquals(JobRuns.FIXTURE.toString(), stage.getModel());
        assertEquals(MAX_NEW_TOKENS, stage.getMaxNewTokens());
        assertEquals(0.8f, stage.getTemperature());
        assertEquals(20, stage.getTopK());
        assertEquals(SEED, stage.getSeed());
        assertArrayEquals(new String[] {"\n", "zz"}, stage.getStop());
        assertEquals("gen_", stage.getOutputPrefix());
        assertNull(stage.getHeads());
        JobRuns.assertSameRows(before, comparable(loaded.transform(prompts()), "gen_"));
        assertTrue(before.stream().anyMatch(row -> row.getAs("gen_completion") != null));
    }

    @Test
    void badRowsBecomeErrorRows() {
        Dataset<Row> withNullId = prompts().union(prompts().limit(1).withColumn("id", lit(null).cast("string")));
        Map<String, String> errors = generator().transform(withNullId).collectAsList().stream()
                .filter(row -> row.getAs("error") != null)
                .collect(Collectors.toMap(row -> String.valueOf((Object) row.getAs("id")),
                        row -> row.getAs("error")));
        TestPrompts.BAD_ROWS.forEach((id, kind) -> {
            assertNotNull(errors.get(id), id);
            assertTrue(errors.get(id).startsWith(kind + ": "), id + ": " + errors.get(id));
        });
        assertEquals("missing_id: id column 'id' is null", errors.get("null"));
        assertEquals(TestPrompts.BAD_ROWS.size() + 1, errors.size(), errors.toString());
    }

    @Test
    void transformSchemaNamesEveryProblemUpFront() {
        StructType schema = new StructType().add("id", "string").add("text", "string").add("temperature", "string")
                .add("completion", "string");
        IllegalArgumentException columns = assertThrows(IllegalArgumentException.class,
                () -> generator().transformSchema(schema));
        assertTrue(columns.getMessage().contains("prompt column 'prompt' is missing"), columns.getMessage());
        assertTrue(columns.getMessage().contains("column 'temperature' must be double (or decimal(p,s), float), "
                + "found string"), columns.getMessage());
        assertTrue(columns.getMessage().contains("input column 'completion' has the name of an output column; set "
                + "another outputPrefix"), columns.getMessage());
        // With another prefix and prompt column the same input fits.
        StructType renamed = new StructType().add("id", "string").add("text", "string").add("completion", "string");
        StructType fits = generator().setPromptColumn("text").setOutputPrefix("gen_").transformSchema(renamed);
        assertEquals("gen_completion", fits.fieldNames()[3]);

        StructType prompts = TestPrompts.SCHEMA;
        assertProblem("StrideGenerator: set the model param", new StrideGenerator(), prompts);
        // Blank, it was checked in transform as the driver's working directory: a path the user never gave.
        assertProblem("StrideGenerator: set the model param", generator().setModel(" "), prompts);
        assertProblem("StrideGenerator: maxNewTokens must be >= 1, got 0", generator().setMaxNewTokens(0), prompts);
        assertProblem("StrideGenerator: threads must be <= 1024, got 1025", generator().setThreads(1025), prompts);
        assertProblem("StrideGenerator: tree chain:0: expected a positive integer after ':'",
                generator().setTree("chain:0"), prompts);
        assertProblem("StrideGenerator: logprobs must be between 0 and 20, got 21", generator().setLogprobs(21),
                prompts);
        assertProblem("StrideGenerator: mode mtp needs prediction heads (heads)", generator().setMode("mtp"),
                prompts);
        assertProblem("StrideGenerator: unknown decoding mode 'fast'", generator().setMode("fast"), prompts);
        assertProblem("StrideGenerator: device must be cpu, auto, cuda or cuda:N, got gpu",
                generator().setDevice("gpu"), prompts);
        // SamplingParams names the request keys (top_p); a DataFrame user set the params topP and topK.
        assertProblem("StrideGenerator: topP must be in (0, 1], got 0.0", generator().setTopP(0), prompts);
        assertProblem("StrideGenerator: topK must be >= 0", generator().setTopK(-1), prompts);
        assertProblem("id column 'key' is missing", generator().setIdColumn("key"), prompts);
        // A DataFrame in OpenAI's vocabulary: its max_tokens would be ignored while every row got maxNewTokens.
        assertProblem("column 'max_tokens' is named like a generation parameter of other APIs, which Stride does "
                + "not read: use max_new_tokens", generator(), prompts.add("max_tokens", "int"));
        // It was left to the executors: every task failed as it loaded the model.
        assertProblem("StrideGenerator: weights must be auto, packed, streamed, q8 or q8-keep-head, got bogus",
                generator().setWeights("bogus"), prompts);
        Map<String, java.util.function.Consumer<StrideGenerator>> nullSetters = Map.of(
                "outputPrefix", g -> g.setOutputPrefix(null), "idColumn", g -> g.setIdColumn(null),
                "promptColumn", g -> g.setPromptColumn(null), "tree", g -> g.setTree(null),
                "stop", g -> g.setStop((String[]) null));
        nullSetters.forEach((param, setter) -> assertEquals("StrideGenerator: " + param + " must not be null",
                assertThrows(IllegalArgumentException.class, () -> setter.accept(generator())).getMessage()));
        assertEquals("StrideGenerator: stop strings must not be null, got [a, null]",
                assertThrows(IllegalArgumentException.class, () -> generator().setStop("a", null)).getMessage());
        assertProblem("StrideGenerator: model " + dir.resolve("none") + ": no directory",
                generator().setModel(dir.resolve("none").toString()), null);
    }

    @Test
    void theSameRowsWhateverThePartitioning() {
        // Repeated ids (the same seed, so the same row twice), partitions left empty and a frame without rows.
        Dataset<Row> frame = prompts().union(prompts().limit(2));
        StrideGenerator generator = generator().setTemperature(0.8).setMaxNewTokens(4);
        List<Row> together = comparable(generator.transform(frame.coalesce(1)));
        assertEquals(TestPrompts.all().size() + 2, together.size());
        JobRuns.assertSameRows(together, comparable(generator.transform(frame.repartition(24))));
        Dataset<Row> none = generator.transform(frame.repartition(3).filter(lit(false)));
        assertEquals(generator.transformSchema(frame.schema()), none.schema());
        assertEquals(0, none.count());
    }

    @Test
    void paramsGivenWithoutTheSettersAreCheckedToo() throws Exception {
        // transform(df, paramMap) and Pipeline.fit(df, paramMap) copy the stage with the map's values, which skip
        // the setters' checks (as do Scala's set(param, value) and a saved stage's JSON). A null outputPrefix was
        // a bare NullPointerException; a null tree or model passed transformSchema.
        StrideGenerator generator = generator();
        Map<org.apache.spark.ml.param.Param<?>, String> problems = Map.of(
                generator.outputPrefix(), "StrideGenerator: outputPrefix must not be null",
                generator.tree(), "StrideGenerator: tree must not be null",
                generator.device(), "StrideGenerator: device must not be null",
                generator.promptColumn(), "StrideGenerator: promptColumn must not be null",
                generator.stop(), "StrideGenerator: stop must not be null",
                generator.model(), "StrideGenerator: set the model param (a model directory)");
        problems.forEach((param, expected) -> {
            StrideGenerator copy = generator.copy(new ParamMap().put(param.w(null)));
            assertEquals(expected, assertThrows(IllegalArgumentException.class,
                    () -> copy.transformSchema(TestPrompts.SCHEMA)).getMessage(), param.name());
        });
        StrideGenerator nullStop = generator.copy(new ParamMap().put(generator.stop(), new String[] {"a", null}));
        assertEquals("StrideGenerator: stop strings must not be null, got [a, null]", assertThrows(
                IllegalArgumentException.class, () -> nullStop.transformSchema(TestPrompts.SCHEMA)).getMessage());
        // Optional params given as null are unset, and saved so: saving one was a NullPointerException in Spark's
        // encoding of the value.
        StrideGenerator noHeads = generator.copy(new ParamMap().put(generator.heads().w(null)));
        assertEquals(generator.transformSchema(TestPrompts.SCHEMA), noHeads.transformSchema(TestPrompts.SCHEMA));
        noHeads.write().save(dir.resolve("no-heads").toString());
        StrideGenerator loaded = StrideGenerator.load(dir.resolve("no-heads").toString());
        assertFalse(loaded.isSet(loaded.heads()));
        assertEquals(generator.transformSchema(TestPrompts.SCHEMA), loaded.transformSchema(TestPrompts.SCHEMA));
        StrideGenerator noPrefix = generator.copy(new ParamMap().put(generator.outputPrefix().w(null)));
        assertEquals("StrideGenerator: outputPrefix must not be null", assertThrows(IllegalArgumentException.class,
                () -> noPrefix.write().save(dir.resolve("no-prefix").toString())).getMessage());
    }

    /**
     * Spark puts a named accumulator's whole value in every task-end event (the UI keeps it per task, the event log
     * writes it): the partition reports, a list that grows with every partition of every action, made each event
     * carry all reports so far (quadratic in partitions, and without bound for a streaming query).
     */
    @Test
    void taskEndEventsDoNotCarryThePartitionReports() throws Exception {
        List<String> accumulators = new java.util.concurrent.CopyOnWriteArrayList<>();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                // A Scala iterator: the Seq's type differs between Scala 2.12 and 2.13, its iterator does not.
                scala.collection.Iterator<AccumulableInfo> infos = end.taskInfo().accumulables().iterator();
                while (infos.hasNext()) {
                    AccumulableInfo info = infos.next();
                    accumulators.add(info.name().isDefined() ? info.name().get() : "");
                }
            }
        };
        spark().sparkContext().addSparkListener(listener);
        try {
            Dataset<Row> transformed = generator().setMaxNewTokens(1).transform(prompts().repartition(3));
            transformed.count();
            transformed.count();
            spark().sparkContext().listenerBus().waitUntilEmpty(10_000);
        } finally {
            spark().sparkContext().removeSparkListener(listener);
        }
        assertTrue(accumulators.contains("stride rows"), accumulators.toString());
        assertFalse(accumulators.stream().anyMatch(name -> name.equals("stride partitions")), accumulators.toString());
    }

    /**
     * A transform's partition reports, read by nothing, stayed on the driver as long as the frame's plan: every
     * action (every micro-batch of a streaming query) added one per partition.
     */
    @Test
    void aTransformKeepsNoPartitionReportsOnTheDriver() {
        long first = AccumulatorContext.newId();
        Dataset<Row> transformed = generator().setMaxNewTokens(1).transform(prompts().repartition(3));
        long rows = transformed.count();
        transformed.count();
        long last = AccumulatorContext.newId();
        List<Object> kept = new ArrayList<>();
        for (long id = first + 1; id < last; id++) {
            Option<AccumulatorV2<?, ?>> accumulator = AccumulatorContext.get(id);
            if (accumulator.isDefined() && accumulator.get() instanceof CollectionAccumulator<?> reports) {
                kept.addAll(reports.value());
            }
        }
        assertEquals(prompts().count(), rows);
        assertEquals(List.of(), kept);
    }

    @Test
    void explainParamsListsTheStopStrings() {
        // Spark wrote the arrays' identities: (default: [Ljava.lang.String;@72bef795, current: [Ljava.lang...).
        StrideGenerator generator = generator().setStop("\n", "zz");
        assertEquals("stop: stop strings of rows without a stop column value (default: [], current: "
                + "[\"\\n\",\"zz\"])", generator.explainParam(generator.stop()));
        assertTrue(generator.explainParams().contains("(default: [], current: [\"\\n\",\"zz\"])"),
                generator.explainParams());
        assertTrue(generator.explainParams().contains("maxBatch: sequences in flight per task (default: 8, current: "
                + "3)"), generator.explainParams());
        StrideGenerator nullStop = generator.copy(new ParamMap().put(generator.stop(), null));
        assertTrue(nullStop.explainParams().contains("(default: [], current: null)"), nullStop.explainParams());
    }

    @Test
    void rowsKeepTheirOrder() {
        // The first row runs long, the others finish in a pass or fail at once: they came out first, so a sorted
        // DataFrame came out unsorted.
        StructType schema = new StructType().add("id", "int").add("prompt", "string").add("max_new_tokens", "int");
        List<Row> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rows.add(RowFactory.create(i, i % 7 == 3 ? "" : "Hello " + i, i % 10 == 0 ? 12 : 1));
        }
        Dataset<Row> frame = spark().createDataFrame(rows, schema);
        List<Integer> ids = rows.stream().map(row -> row.getInt(0)).toList();
        StrideGenerator generator = generator().setMaxBatch(2);
        assertEquals(ids, generator.transform(frame.coalesce(1)).collectAsList().stream()
                .map(row -> row.getInt(0)).toList());
        List<Integer> descending = new java.util.ArrayList<>(ids);
        java.util.Collections.reverse(descending);
        assertEquals(descending, generator.transform(frame.orderBy(col("id").desc())).collectAsList().stream()
                .map(row -> row.getInt(0)).toList());
    }

    @Test
    void samplingParamsThatAFloatCannotHoldAreRefusedByName() {
        // 1e-50 became a temperature of 0: the rows were decoded greedily, silently.
        assertEquals("StrideGenerator: temperature 1.0E-50 is beyond a 32-bit float's range (nonzero magnitudes from "
                + Float.MIN_VALUE + " to " + Float.MAX_VALUE + ")",
                assertThrows(IllegalArgumentException.class, () -> generator().setTemperature(1e-50)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> generator().setTopP(1e-50)).getMessage()
                .startsWith("StrideGenerator: topP 1.0E-50 is beyond a 32-bit float's range"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> generator().setTemperature(1e39)).getMessage()
                .startsWith("StrideGenerator: temperature 1.0E39 is beyond a 32-bit float's range"));
        assertEquals(0.7f, generator().setTemperature(0.7).getTemperature());
        assertEquals(0f, generator().setTemperature(0).getTemperature());
    }

    @Test
    void inputColumnsWhoseNamesRepeatAreRefusedUpFront() {
        // A join's result may repeat a name; Spark resolves names ignoring case, so "x" and "X" collide as well.
        StructType schema = new StructType().add("id", "string").add("prompt", "string").add("x", "int")
                .add("X", "int").add("ID", "string").add("x", "int");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> generator().transformSchema(schema));
        assertTrue(e.getMessage().contains("input column 'X' has the name of input column 'x'"), e.getMessage());
        assertTrue(e.getMessage().contains("input column 'ID' has the name of input column 'id'"), e.getMessage());
        assertTrue(e.getMessage().contains("input column 'x' has the name of input column 'x'"), e.getMessage());
    }

    @Test
    void transformGivesTheSchemaTransformSchemaPromisesAndKeepsTheInputAsItIs() {
        // ML attributes (what VectorAssembler or StringIndexer write) live in a column's metadata, nested too.
        Metadata attributes = new MetadataBuilder().putString("ml_attr", "{\"name\":\"prompt\"}").build();
        StructType nested = new StructType().add("a", DataTypes.IntegerType, false)
                .add(new StructField("b", DataTypes.StringType, true, attributes));
        StructType schema = new StructType().add("id", DataTypes.LongType, false)
                .add("prompt", DataTypes.StringType, true, attributes)
                .add("s", nested, true, attributes)
                .add("arr", DataTypes.createArrayType(DataTypes.StringType))
                .add("m", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType))
                .add("vec", SQLDataTypes.VectorType(), true, attributes);
        List<Row> rows = List.of(
                RowFactory.create(1L, "Hello", RowFactory.create(1, "x"), Arrays.asList("a", null), map("k", 1),
                        Vectors.dense(1, 2)),
                RowFactory.create(2L, null, null, null, null, null),
                RowFactory.create(2L, "Hi", RowFactory.create(3, null), List.of(), map("k", null), Vectors.sparse(3,
                        new int[] {1}, new double[] {4})));
        Dataset<Row> frame = spark().createDataFrame(rows, schema).repartition(3);
        StrideGenerator generator = generator().setMaxNewTokens(2);

        Dataset<Row> transformed = generator.transform(frame);
        assertEquals(generator.transformSchema(schema).prettyJson(), transformed.schema().prettyJson());
        assertEquals(generator.transformSchema(schema), transformed.schema());
        List<Row> kept = transformed.select(frame.columns()[0], Arrays.copyOfRange(frame.columns(), 1, schema.size()))
                .collectAsList();
        List<Row> input = frame.collectAsList();
        assertEquals(new HashSet<>(input), new HashSet<>(kept));
        assertEquals(rows.size(), kept.size());
    }

    private static Map<String, Integer> map(String key, Integer value) {
        Map<String, Integer> map = new java.util.HashMap<>();
        map.put(key, value);
        return map;
    }

    private void assertProblem(String expected, StrideGenerator generator, StructType schema) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            if (schema == null) {
                generator.transform(prompts());
            } else {
                generator.transformSchema(schema);
            }
        });
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static StrideGenerator generator() {
        return new StrideGenerator().setModel(JobRuns.FIXTURE.toString()).setMaxNewTokens(MAX_NEW_TOKENS)
                .setMaxBatch(3).setSeed(SEED);
    }

    private static Dataset<Row> prompts() {
        return spark().read().parquet(input.toString());
    }

    private static List<Row> comparable(Dataset<Row> output) {
        return comparable(output, "");
    }

    /** The rows as JobRuns.comparable has them: id first, without the timing and placement columns. */
    private static List<Row> comparable(Dataset<Row> output, String prefix) {
        List<Column> columns = Arrays.stream(output.columns())
                .filter(name -> !name.equals(prefix + "decode_ms") && !name.equals(prefix + "executor"))
                .map(name -> col("`" + name + "`")).toList();
        return output.select(columns.toArray(Column[]::new)).orderBy("id").collectAsList();
    }

    private static SparkSession spark() {
        return SPARK.session();
    }
}
