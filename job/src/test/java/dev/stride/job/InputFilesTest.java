package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.config.JobSetupException;
import java.nio.file.Files;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An input of many Parquet files, written at different times by different producers, is read as one table, with the
 * column types producers write.
 */
class InputFilesTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    @TempDir
    Path dir;

    /**
     * Spark takes the schema of one file unless asked to merge them: the columns only later files have (an override,
     * a column to keep) were dropped from every row without a word.
     */
    @Test
    void columnsThatOnlySomeFilesHaveAreReadFromThoseFiles() {
        Path input = dir.resolve("in");
        spark().sql("select 'a' as id, 'Life is' as prompt").write().parquet(input.resolve("a").toString());
        spark().sql("select 'b' as id, 'Life is' as prompt, 1 as max_new_tokens, 'fortune' as category")
                .write().parquet(input.resolve("b").toString());
        Path output = dir.resolve("out");
        RunSummary summary = JobRuns.run(spark(), "--input", input + "/*", "--output", output.toString(),
                "--max-new-tokens", "5");

        Map<String, Row> rows = spark().read().parquet(output.toString()).collectAsList().stream()
                .collect(Collectors.toMap(row -> row.getAs("id"), row -> row));
        assertEquals(5, (int) rows.get("a").getAs("completion_tokens"));
        assertEquals(1, (int) rows.get("b").getAs("completion_tokens"), "b's max_new_tokens override");
        assertEquals("fortune", rows.get("b").getAs("category"));
        assertNull(rows.get("a").getAs("category"));
        assertEquals(2, summary.rowsOk());
    }

    /** Merging the files' columns can fail: that is an input the run cannot use, refused before any work. */
    @Test
    void filesWhoseColumnsCannotBeMergedAreASetupError() {
        Path input = dir.resolve("in");
        spark().sql("select 'a' as id, 'Life is' as prompt, 2 as max_new_tokens")
                .write().parquet(input.resolve("a").toString());
        spark().sql("select 'b' as id, 'Life is' as prompt, 1L as max_new_tokens")
                .write().parquet(input.resolve("b").toString());
        Path output = dir.resolve("out");
        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(spark(),
                "--input", input + "/*", "--output", output.toString(), "--max-new-tokens", "5"));
        assertTrue(refused.getMessage().startsWith("cannot read input " + input + "/*: ")
                && refused.getMessage().contains("max_new_tokens: BIGINT"), refused.getMessage());
        assertFalse(Files.exists(output));
    }

    /**
     * Spark SQL's literal 0.7 is a decimal, and so are integers cast for their size: such override columns stopped the
     * run. They are read as the doubles and integers they hold; a whole number no int holds fails its row only.
     */
    @Test
    void decimalOverridesAreReadAsTheNumbersTheyHold() {
        Path decimals = dir.resolve("decimals");
        spark().sql("select 'a' as id, 'Life is' as prompt, 0.7 as temperature, 0.9 as top_p, "
                + "cast(3 as decimal(10,0)) as max_new_tokens, cast(11 as decimal(20,0)) as seed "
                + "union all select 'b', 'Life is', 0.7, 0.9, cast(1e30 as decimal(38,0)), 11")
                .write().parquet(decimals.toString());
        Path doubles = dir.resolve("doubles");
        spark().sql("select 'a' as id, 'Life is' as prompt, 0.7d as temperature, 0.9d as top_p, "
                + "3 as max_new_tokens, 11L as seed").write().parquet(doubles.toString());
        JobRuns.run(spark(), "--input", decimals.toString(), "--output", dir.resolve("d-out").toString());
        JobRuns.run(spark(), "--input", doubles.toString(), "--output", dir.resolve("f-out").toString());

        Map<String, Row> rows = spark().read().parquet(dir.resolve("d-out").toString()).collectAsList().stream()
                .collect(Collectors.toMap(row -> row.getAs("id"), row -> row));
        Row expected = spark().read().parquet(dir.resolve("f-out").toString()).first();
        assertEquals(3, (int) rows.get("a").getAs("completion_tokens"));
        assertEquals((String) expected.getAs("completion"), rows.get("a").getAs("completion"));
        assertTrue(((String) rows.get("b").getAs("error")).startsWith("invalid_override: max_new_tokens is out of "
                + "range"), (String) rows.get("b").getAs("error"));
    }

    /**
     * OpenAI-style messages (content first, a name beside role and content) stopped the run, as the column had to be
     * exactly array<struct<role,content>>. The fixture model has no chat template, so each row fails on that alone.
     */
    @Test
    void chatMessagesWithOtherFieldsAreRead() {
        Path input = dir.resolve("in");
        spark().sql("select 'a' as id, 'Life is' as prompt, array(named_struct('content', 'Hi', 'name', 'ann', "
                + "'role', 'user')) as messages").write().parquet(input.toString());
        RunSummary summary = JobRuns.run(spark(), "--input", input.toString(), "--output",
                dir.resolve("out").toString(), "--chat");
        assertEquals(1, summary.rowsTotal());
        Row row = spark().read().parquet(dir.resolve("out").toString()).first();
        String error = row.getAs("error");
        assertTrue(error.startsWith("chat_template: model has no chat_template"), error);
    }

    private static SparkSession spark() {
        return SPARK.session();
    }
}
