package dev.stride.job.io;

import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.RunCommand;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class JobSchemaTest {

    private static final JobConfig DEFAULTS = RunCommand.parse("--output", "out", "--model", "m");

    @Test
    void acceptsWiderIntegerAndFloatColumnsAndDerivesIdsWithoutIdColumn() {
        StructType input = new StructType().add("prompt", StringType).add("max_new_tokens", LongType)
                .add("temperature", FloatType).add("seed", IntegerType).add("note", StringType);
        JobSchema.InputColumns columns = JobSchema.validate(input, DEFAULTS);
        assertNull(columns.idColumn());
        assertEquals(List.of("max_new_tokens", "temperature", "seed"), columns.overrides());
        assertEquals(List.of("prompt", "max_new_tokens", "temperature", "seed", "note"),
                columns.kept().stream().map(StructField::name).toList());
        assertFalse(columns.messages());
    }

    @Test
    void theIdColumnIsNotKeptTwice() {
        StructType input = new StructType().add("id", LongType).add("prompt", StringType);
        JobSchema.InputColumns columns = JobSchema.validate(input, DEFAULTS);
        assertEquals("id", columns.idColumn());
        assertEquals(List.of("prompt"), columns.kept().stream().map(StructField::name).toList());
    }

    @Test
    void reportsEveryProblemWithExpectedAndActualType() {
        StructType input = new StructType().add("text", StringType).add("top_k", StringType)
                .add("stop", StringType).add("error", StringType);
        String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, DEFAULTS))
                .getMessage();
        assertTrue(message.contains("prompt column 'prompt' is missing"), message);
        assertTrue(message.contains("column 'top_k' must be int (or bigint, decimal(p,0), smallint, tinyint), found "
                + "string"), message);
        assertTrue(message.contains("column 'stop' must be array<string>, found string"), message);
        assertTrue(message.contains("input column 'error' has the name of an output column"), message);
    }

    /** Spark resolves column names ignoring case: an input "ID" beside the output's "id" would be ambiguous. */
    @Test
    void outputColumnNamesCollideIgnoringCase() {
        StructType input = new StructType().add("ID", StringType).add("prompt", StringType).add("Error", StringType);
        String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, DEFAULTS))
                .getMessage();
        assertTrue(message.contains("input column 'ID' has the name of an output column"), message);
        assertTrue(message.contains("input column 'Error' has the name of an output column"), message);
        JobConfig idIsTheId = RunCommand.parse("--output", "out", "--model", "m", "--id-column", "ID",
                "--keep-columns", "prompt");
        assertEquals("ID", JobSchema.validate(input, idIsTheId).idColumn());
        String frame = assertThrows(IllegalArgumentException.class, () -> JobSchema.validateFrame(input, DEFAULTS,
                "", "_work_id")).getMessage();
        assertTrue(frame.contains("input column 'Error' has the name of an output column"), frame);
    }

    /**
     * Override columns are read by their exact names, but a DataFrame from a JDBC source (Snowflake, Oracle) names
     * them in capitals: MAX_NEW_TOKENS or TEMPERATURE was kept as data and every row got the run's value, silently.
     */
    @Test
    void overrideColumnsNamedButForCaseAreRefused() {
        StructType input = new StructType().add("ID", StringType).add("PROMPT", StringType)
                .add("MAX_NEW_TOKENS", IntegerType).add("Temperature", FloatType).add("messages", StringType)
                .add("Messages", StringType);
        JobConfig chat = RunCommand.parse("--output", "out", "--model", "m", "--id-column", "ID", "--prompt-column",
                "PROMPT", "--chat");
        String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, chat)).getMessage();
        assertTrue(message.contains("column 'MAX_NEW_TOKENS' is named like the override column 'max_new_tokens' "
                + "but for case, and is not read as one (the names of the columns generation reads are compared "
                + "exactly): rename it to 'max_new_tokens', or to another name to keep it as data"), message);
        assertTrue(message.contains("column 'Temperature' is named like the override column 'temperature'"),
                message);
        // The messages column is there under its own name: a second one differing in case is only data.
        assertFalse(message.contains("'Messages'"), message);
        assertTrue(message.contains("column 'messages' must be array<struct<role:string,content:string>>"), message);
        String frame = assertThrows(IllegalArgumentException.class, () -> JobSchema.validateFrame(
                new StructType().add("prompt", StringType).add("Top_K", IntegerType), DEFAULTS, "", "_work_id"))
                .getMessage();
        assertTrue(frame.contains("column 'Top_K' is named like the override column 'top_k'"), frame);
        // The prompt and id columns are read by the names given.
        JobConfig seedIsTheId = RunCommand.parse("--output", "out", "--model", "m", "--id-column", "SEED");
        assertEquals("SEED", JobSchema.validate(new StructType().add("SEED", LongType).add("prompt", StringType),
                seedIsTheId).idColumn());
    }

    /**
     * A column named like a generation parameter of another API (OpenAI's max_tokens, a repetition_penalty) was kept
     * as data while every row got the run's settings: it is refused, named with what to use instead, as a column
     * named like an override but for case is. Other columns stay data, and the id column is read by the name given.
     */
    @Test
    void columnsNamedLikeParametersOfOtherApisAreRefused() {
        StructType input = new StructType().add("prompt", StringType).add("max_tokens", IntegerType)
                .add("Repetition_Penalty", FloatType).add("source", StringType).add("n", LongType);
        JobConfig keepPrompt = RunCommand.parse("--output", "out", "--model", "m", "--keep-columns", "prompt");
        for (JobConfig config : List.of(DEFAULTS, keepPrompt)) {
            String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, config))
                    .getMessage();
            assertTrue(message.contains("column 'max_tokens' is named like a generation parameter of other APIs, "
                    + "which Stride does not read: use max_new_tokens; rename the column to keep it as data"),
                    message);
            assertTrue(message.contains("column 'Repetition_Penalty' is named like a generation parameter of other "
                    + "APIs, which Stride does not read: Stride does not support it"), message);
            assertFalse(message.contains("'source'") || message.contains("'n'"), message);
        }
        String frame = assertThrows(IllegalArgumentException.class, () -> JobSchema.validateFrame(
                new StructType().add("prompt", StringType).add("min_p", FloatType), DEFAULTS, "", "_work_id"))
                .getMessage();
        assertTrue(frame.contains("column 'min_p' is named like a generation parameter of other APIs"), frame);
        JobConfig bestOfIsTheId = RunCommand.parse("--output", "out", "--model", "m", "--id-column", "best_of");
        assertEquals("best_of", JobSchema.validate(new StructType().add("best_of", LongType).add("prompt",
                StringType), bestOfIsTheId).idColumn());
    }

    /**
     * The job adds columns named __stride_... to the input rows: an input column of such a name, kept or not, made
     * the id derivation ambiguous or was replaced by the work estimate and then missing from the write.
     */
    @Test
    void inputColumnsNamedLikeTheJobsWorkingColumnsAreRefused() {
        StructType input = new StructType().add("prompt", StringType).add("__stride_work", StringType)
                .add("__Stride_ID", StringType);
        JobConfig keepPrompt = RunCommand.parse("--output", "out", "--model", "m", "--keep-columns", "prompt");
        for (JobConfig config : List.of(DEFAULTS, keepPrompt)) {
            String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, config))
                    .getMessage();
            assertTrue(message.contains("input column '__stride_work' starts with '__stride_', which the job "
                    + "reserves"), message);
            assertTrue(message.contains("input column '__Stride_ID' starts with '__stride_'"), message);
        }
    }

    /**
     * A prompt column named like an output column made the work rows' references to it ambiguous (or, for a result
     * column, failed in StrideGenerator asking for an outputPrefix), late and even when it was not kept.
     */
    @Test
    void aPromptColumnNamedLikeAnOutputColumnIsRefused() {
        StructType input = new StructType().add("ID", StringType).add("Completion", StringType)
                .add("other", StringType);
        for (String prompt : List.of("ID", "Completion")) {
            for (String keep : List.of("other", prompt + ",other")) {
                JobConfig config = RunCommand.parse("--output", "out", "--model", "m", "--prompt-column", prompt,
                        "--keep-columns", keep);
                String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, config))
                        .getMessage();
                assertTrue(message.contains("prompt column '" + prompt + "' has the name of an output column"),
                        message);
                assertFalse(message.contains("input column '" + prompt + "'"), message);
            }
        }
        JobConfig promptIsTheId = RunCommand.parse("--output", "out", "--model", "m", "--prompt-column", "ID",
                "--id-column", "ID", "--keep-columns", "other");
        assertThrows(JobSetupException.class, () -> JobSchema.validate(input, promptIsTheId));
    }

    @Test
    void namedIdColumnAndKeptColumnsMustExist() {
        StructType input = new StructType().add("prompt", StringType);
        JobConfig config = RunCommand.parse("--output", "out", "--model", "m", "--id-column", "key",
                "--keep-columns", "prompt,missing");
        String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(input, config))
                .getMessage();
        assertTrue(message.contains("id column 'key' is missing"), message);
        assertTrue(message.contains("--keep-columns names 'missing'"), message);
    }

    @Test
    void chatMessagesMustBeRoleAndContentStructs() {
        JobConfig chat = RunCommand.parse("--output", "out", "--model", "m", "--chat");
        StructType good = new StructType().add("prompt", StringType).add("messages", createArrayType(
                new StructType().add("role", StringType).add("content", StringType)));
        assertTrue(JobSchema.validate(good, chat).messages());
        StructType bad = new StructType().add("prompt", StringType).add("messages", createArrayType(StringType));
        assertThrows(JobSetupException.class, () -> JobSchema.validate(bad, chat));
    }

    /**
     * Messages are read by field name: fields in another order or extra fields (OpenAI's name, tool_calls) stopped the
     * run, as the column had to be exactly array<struct<role,content>>.
     */
    @Test
    void chatMessagesMayHaveTheirFieldsInAnyOrderAndOtherFields() {
        JobConfig chat = RunCommand.parse("--output", "out", "--model", "m", "--chat");
        StructType openAi = new StructType().add("content", StringType).add("name", StringType)
                .add("tool_calls", createArrayType(new StructType().add("id", StringType))).add("role", StringType);
        StructType input = new StructType().add("prompt", StringType).add("messages", createArrayType(openAi));
        assertTrue(JobSchema.validate(input, chat).messages());
        assertTrue(JobSchema.validateFrame(input, chat, "", "_work_id").messages());

        for (StructType bad : List.of(new StructType().add("role", StringType).add("text", StringType),
                new StructType().add("role", IntegerType).add("content", StringType))) {
            StructType badInput = new StructType().add("prompt", StringType).add("messages", createArrayType(bad));
            String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(badInput, chat))
                    .getMessage();
            assertTrue(message.contains("column 'messages' must be array<struct<role:string,content:string>> (fields "
                    + "in any order, others ignored), found array<" + bad.catalogString() + ">"), message);
        }
    }

    /**
     * Spark SQL's literal 0.7 is a decimal: `select 'Hi' as prompt, 0.7 as temperature` was refused. Decimals hold the
     * values of float columns, and whole-number decimals those of integer columns.
     */
    @Test
    void decimalColumnsAreAcceptedWhereTheyHoldTheColumnsValues() {
        StructType input = new StructType().add("prompt", StringType).add("temperature", new DecimalType(2, 1))
                .add("top_p", new DecimalType(3, 2)).add("top_k", new DecimalType(10, 0))
                .add("max_new_tokens", new DecimalType(38, 0)).add("seed", new DecimalType(20, 0))
                .add("logprobs", new DecimalType(1, 0));
        assertEquals(List.of("max_new_tokens", "temperature", "top_p", "top_k", "seed", "logprobs"),
                JobSchema.validate(input, DEFAULTS).overrides());
        assertEquals(6, JobSchema.validateFrame(input, DEFAULTS, "", "_work_id").overrides().size());

        StructType fractional = new StructType().add("prompt", StringType).add("top_k", new DecimalType(5, 2));
        String message = assertThrows(JobSetupException.class, () -> JobSchema.validate(fractional, DEFAULTS))
                .getMessage();
        assertTrue(message.contains("column 'top_k' must be int (or bigint, decimal(p,0), smallint, tinyint), found "
                + "decimal(5,2)"), message);
    }

    @Test
    void outputColumnsFollowTheContract() {
        StructType output = JobSchema.output(List.of(new StructField("category", StringType, true,
                org.apache.spark.sql.types.Metadata.empty())));
        assertEquals(List.of("id", "category", "completion", "finish_reason", "prompt_tokens", "completion_tokens",
                "forward_passes", "tokens_per_pass", "accept_histogram", "decode_ms", "model", "heads", "mode",
                "executor", "error"), Arrays.asList(output.fieldNames()));
        assertEquals(createArrayType(IntegerType, false), output.apply("accept_histogram").dataType());
        assertFalse(JobSchema.validate(new StructType().add("prompt", StringType), DEFAULTS).logprobs(),
                "no logprobs column unless asked for");
    }

    @Test
    void logprobsColumnComesLastWhenTheRunOrTheInputAsksForIt() {
        StructType plain = new StructType().add("prompt", StringType).add("note", StringType);
        JobSchema.InputColumns withOption = JobSchema.validate(plain,
                RunCommand.parse("--output", "out", "--model", "m", "--logprobs", "3"));
        assertTrue(withOption.logprobs());
        StructType output = JobSchema.output(withOption.kept(), withOption.logprobs());
        assertEquals(List.of("id", "prompt", "note", "completion", "finish_reason", "prompt_tokens",
                "completion_tokens", "forward_passes", "tokens_per_pass", "accept_histogram", "decode_ms", "model",
                "heads", "mode", "executor", "error", "logprobs"), Arrays.asList(output.fieldNames()));
        assertEquals("array<struct<id:int,logprob:float,top:array<struct<id:int,logprob:float>>>>",
                output.apply("logprobs").dataType().catalogString());
        assertTrue(output.apply("logprobs").nullable(), "null for failed rows");

        // A per-row override column turns the output column on, and is a request, not kept data.
        StructType overriding = plain.add("logprobs", LongType);
        JobSchema.InputColumns columns = JobSchema.validate(overriding, DEFAULTS);
        assertTrue(columns.logprobs());
        assertEquals(List.of("logprobs"), columns.overrides());
        assertEquals(List.of("prompt", "note"), columns.kept().stream().map(StructField::name).toList());

        String kept = assertThrows(JobSetupException.class, () -> JobSchema.validate(overriding,
                RunCommand.parse("--output", "out", "--model", "m", "--keep-columns", "prompt,logprobs")))
                .getMessage();
        assertTrue(kept.contains("input column 'logprobs' has the name of an output column"), kept);
        String typed = assertThrows(JobSetupException.class, () -> JobSchema.validate(
                plain.add("logprobs", StringType), DEFAULTS)).getMessage();
        assertTrue(typed.contains("column 'logprobs' must be int (or bigint, decimal(p,0), smallint, tinyint), found "
                + "string"), typed);
    }
}
