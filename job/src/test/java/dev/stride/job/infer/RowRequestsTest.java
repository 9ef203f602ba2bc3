package dev.stride.job.infer;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.tokenizer.StrideTokenizer;
import dev.stride.job.JobRuns;
import dev.stride.job.RunCommand;
import dev.stride.job.config.JobConfig;
import dev.stride.job.io.RowLayout;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ParameterException;

/** Row-to-request rules, without Spark: overrides, seeds, chat and the error kinds. */
class RowRequestsTest {

    private static final StructType WORK = new StructType().add("id", StringType).add("prompt", StringType)
            .add("max_new_tokens", LongType).add("seed", LongType)
            .add("messages", createArrayType(new StructType().add("role", StringType).add("content", StringType)));
    private static final RowLayout LAYOUT = RowLayout.of(WORK, 1, "prompt");

    private static StrideTokenizer tokenizer;

    @BeforeAll
    static void loadTokenizer() {
        tokenizer = StrideTokenizer.load(JobRuns.FIXTURE);
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    @Test
    void overridesReplaceJobDefaultsAndMissingSeedsAreDerivedFromTheId() {
        RowRequests requests = requests("--max-new-tokens", "9", "--seed", "3");
        var withOverrides = requests.prepare(row("a", "Hello", 5L, 77L, null), "0").request();
        assertEquals(5, withOverrides.maxNewTokens());
        assertEquals(77L, withOverrides.sampling().seed());
        assertArrayEquals(tokenizer.encode("Hello"), withOverrides.promptIds());

        var withDefaults = requests.prepare(row("b", "Hello", null, null, null), "1").request();
        assertEquals(9, withDefaults.maxNewTokens());
        assertEquals(RowSeeds.derive(3, "b"), withDefaults.sampling().seed());
    }

    @Test
    void rowsWithoutAStopColumnValueTakeTheJobsStopStrings() {
        StructType work = new StructType().add("id", StringType).add("prompt", StringType)
                .add("stop", createArrayType(StringType));
        RowRequests requests = new RowRequests(RunCommand.parse("--output", "out", "--model",
                JobRuns.FIXTURE.toString(), "--stop", "\n", "--stop", "zz"), RowLayout.of(work, 1, "prompt"),
                tokenizer, 512);
        Row inherit = new GenericRowWithSchema(new Object[] {"a", "Hello", null}, work);
        Row own = new GenericRowWithSchema(new Object[] {"a", "Hello", scala.Predef$.MODULE$.wrapRefArray(
                new String[] {"."})}, work);
        assertEquals(List.of("\n", "zz"), requests.prepare(inherit, "0").request().stopStrings());
        assertEquals(List.of("."), requests.prepare(own, "0").request().stopStrings());
        assertThrows(ParameterException.class, () -> RunCommand.parse("--output", "out", "--model", "m", "--stop",
                ""));
    }

    @Test
    void badRowsBecomeErrorsOfTheirKind() {
        RowRequests requests = requests();
        assertError("invalid_override: max_new_tokens is out of range", requests, row("a", "Hi", 1L << 40, null,
                null));
        assertError("empty_prompt: prompt is null", requests, row("a", null, null, null, null));
        assertError("prompt_too_long: prompt has ", requests, row("a", "word ".repeat(2000), null, null, null));
        // Only StrideGenerator's work rows can have a null id (the job derives one).
        assertError("missing_id: id column 'id' is null", requests, row(null, "Hi", null, null, null));
    }

    @Test
    void samplingOverridesThatAFloatCannotHoldAreInvalid() {
        StructType work = new StructType().add("id", StringType).add("prompt", StringType)
                .add("temperature", DoubleType).add("top_p", DoubleType);
        RowRequests requests = new RowRequests(RunCommand.parse("--output", "out", "--model",
                JobRuns.FIXTURE.toString()), RowLayout.of(work, 1, "prompt"), tokenizer, 512);
        // 1e-50 narrowed to 0: a row asking for sampling was decoded greedily.
        assertError("invalid_override: temperature 1.0E-50 is beyond a 32-bit float's range", requests,
                new GenericRowWithSchema(new Object[] {"a", "Hi", 1e-50, null}, work));
        assertError("invalid_override: top_p 1.0E-50 is beyond a 32-bit float's range", requests,
                new GenericRowWithSchema(new Object[] {"a", "Hi", null, 1e-50}, work));
        assertEquals(0.7f, requests.prepare(new GenericRowWithSchema(new Object[] {"a", "Hi", 0.7, null}, work), "0")
                .request().sampling().temperature());
    }

    /**
     * Decimal overrides (Spark SQL's literals 0.7 and 5 as decimal(38,0) sums) convert exactly: a whole number out of
     * range fails its row, where its low 64 bits were taken (2^64 + 5 new tokens became 5).
     */
    @Test
    void decimalOverridesConvertExactlyAndFailTheirRowWhenOutOfRange() {
        StructType work = new StructType().add("id", StringType).add("prompt", StringType)
                .add("max_new_tokens", new DecimalType(38, 0)).add("temperature", new DecimalType(2, 1))
                .add("top_p", new DecimalType(38, 0)).add("seed", new DecimalType(38, 0));
        RowRequests requests = new RowRequests(RunCommand.parse("--output", "out", "--model",
                JobRuns.FIXTURE.toString()), RowLayout.of(work, 1, "prompt"), tokenizer, 512);
        var request = requests.prepare(new GenericRowWithSchema(new Object[] {"a", "Hi", new BigDecimal("5"),
            new BigDecimal("0.7"), null, new BigDecimal("-77")}, work), "0").request();
        assertEquals(5, request.maxNewTokens());
        assertEquals(0.7f, request.sampling().temperature());
        assertEquals(-77L, request.sampling().seed());

        BigDecimal beyondLong = new BigDecimal(BigInteger.TWO.pow(64).add(BigInteger.valueOf(5)));
        assertError("invalid_override: max_new_tokens is out of range, got 18446744073709551621", requests,
                new GenericRowWithSchema(new Object[] {"a", "Hi", beyondLong, null, null, null}, work));
        assertError("invalid_override: seed is out of range, got 18446744073709551621", requests,
                new GenericRowWithSchema(new Object[] {"a", "Hi", null, null, null, beyondLong}, work));
        // Float columns narrow decimals as they narrow doubles.
        assertError("invalid_override: top_p 1.0E39 is beyond a 32-bit float's range", requests,
                new GenericRowWithSchema(new Object[] {"a", "Hi", null, null, new BigDecimal("1E39"), null}, work));
    }

    @Test
    void chatMessagesAreReadByFieldName() {
        StructType message = new StructType().add("content", StringType).add("name", StringType)
                .add("role", StringType);
        StructType work = new StructType().add("id", StringType).add("prompt", StringType)
                .add("messages", createArrayType(message));
        RowRequests chat = new RowRequests(RunCommand.parse("--output", "out", "--model",
                JobRuns.FIXTURE.toString(), "--chat"), RowLayout.of(work, 1, "prompt"), tokenizer, 512);
        Row swapped = new GenericRowWithSchema(new Object[] {"hi", null, "user"}, message);
        // The fixture model has no chat template: the messages were read (a null role would fail first).
        assertError("chat_template: model has no chat_template", chat, new GenericRowWithSchema(new Object[] {"a",
            null, scala.Predef$.MODULE$.wrapRefArray(new Row[] {swapped})}, work));
    }

    @Test
    void chatRowsNeedATemplateAndWellFormedMessages() {
        RowRequests chat = requests("--chat");
        // The fixture model has no chat template.
        assertError("chat_template: model has no chat_template", chat, row("a", "Hi", null, null, null));
        assertError("empty_prompt: messages is empty", chat, row("a", null, null, null, List.of()));
        Row message = new GenericRowWithSchema(new Object[] {null, "hi"}, new StructType().add("role", StringType)
                .add("content", StringType));
        assertError("chat_template: chat message role and content must be non-null", chat,
                row("a", null, null, null, List.of(message)));
        Row good = new GenericRowWithSchema(new Object[] {"user", "hi"}, message.schema());
        assertError("chat_template: messages[1] is null", chat, row("a", null, null, null,
                Arrays.asList(good, null)));
    }

    @Test
    void logprobsComeFromTheJobOptionOrTheRowsOverride() {
        StructType work = new StructType().add("id", StringType).add("prompt", StringType)
                .add("logprobs", LongType);
        RowLayout layout = RowLayout.of(work, 1, "prompt");
        RowRequests off = new RowRequests(RunCommand.parse("--output", "out", "--model", JobRuns.FIXTURE.toString()),
                layout, tokenizer, 512);
        RowRequests three = new RowRequests(RunCommand.parse("--output", "out", "--model",
                JobRuns.FIXTURE.toString(), "--logprobs", "3"), layout, tokenizer, 512);
        Row inherit = new GenericRowWithSchema(new Object[] {"a", "Hello", null}, work);
        Row five = new GenericRowWithSchema(new Object[] {"a", "Hello", 5L}, work);
        Row none = new GenericRowWithSchema(new Object[] {"a", "Hello", -1L}, work);
        assertFalse(off.prepare(inherit, "0").request().wantsLogprobs());
        assertEquals(3, three.prepare(inherit, "0").request().logprobs());
        assertEquals(5, off.prepare(five, "0").request().logprobs());
        assertFalse(three.prepare(none, "0").request().wantsLogprobs());
        assertError("invalid_override: logprobs must be between 0 and 20", three,
                new GenericRowWithSchema(new Object[] {"a", "Hello", 21L}, work));
        assertError("invalid_override: logprobs must be between 0 and 20", three,
                new GenericRowWithSchema(new Object[] {"a", "Hello", -2L}, work));
        // Requests built from the work rows above ignore the column when the layout has none.
        assertFalse(requests().prepare(row("a", "Hello", null, null, null), "0").request().wantsLogprobs());
    }

    @Test
    void logprobsOptionOutOfRangeIsAUsageError() {
        for (String bad : List.of("21", "-2")) {
            String message = assertThrows(ParameterException.class, () -> RunCommand.parse("--output", "out",
                    "--model", "m", "--logprobs", bad)).getMessage();
            assertTrue(message.contains("--logprobs must be between 0 and 20, got " + bad), message);
        }
        assertEquals(20, RunCommand.parse("--output", "out", "--model", "m", "--logprobs", "20").logprobs());
        assertEquals(JobConfig.NO_LOGPROBS, RunCommand.parse("--output", "out", "--model", "m").logprobs());
    }

    @Test
    void floatOptionsAFloatCannotHoldAreUsageErrors() {
        // picocli's own conversion made --temperature 1e-50 a 0 (greedy) and --top-p 1e39 Infinity.
        for (List<String> bad : List.of(List.of("--temperature", "1e-50"), List.of("--top-p", "1e39"))) {
            String message = assertThrows(ParameterException.class, () -> RunCommand.parse("--output", "out",
                    "--model", "m", bad.get(0), bad.get(1))).getMessage();
            assertTrue(message.contains(bad.get(0)) && message.contains("beyond a 32-bit float's range"), message);
        }
        assertEquals(0.7f, RunCommand.parse("--output", "out", "--model", "m", "--temperature", "0.7").temperature());
    }

    private static void assertError(String expectedStart, RowRequests requests, Row row) {
        RowRequests.Prepared prepared = requests.prepare(row, "0");
        assertNull(prepared.request());
        assertTrue(prepared.error().startsWith(expectedStart), prepared.error());
    }

    private static RowRequests requests(String... options) {
        String[] args = new String[options.length + 4];
        System.arraycopy(new String[] {"--output", "out", "--model", JobRuns.FIXTURE.toString()}, 0, args, 0, 4);
        System.arraycopy(options, 0, args, 4, options.length);
        return new RowRequests(RunCommand.parse(args), LAYOUT, tokenizer, 512);
    }

    private static Row row(String id, String prompt, Long maxNewTokens, Long seed, List<Row> messages) {
        return new GenericRowWithSchema(new Object[] {id, prompt, maxNewTokens, seed,
            messages == null ? null : scala.Predef$.MODULE$.wrapRefArray(messages.toArray(Row[]::new))}, WORK);
    }
}
