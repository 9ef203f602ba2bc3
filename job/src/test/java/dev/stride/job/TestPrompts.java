package dev.stride.job;

import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** Prompt sets for the job tests, written as real Parquet files. */
public final class TestPrompts {

    public static final StructType SCHEMA = new StructType()
            .add("id", StringType)
            .add("prompt", StringType)
            .add("category", StringType)
            .add("max_new_tokens", IntegerType)
            .add("temperature", DoubleType)
            .add("top_p", DoubleType)
            .add("top_k", IntegerType)
            .add("seed", LongType)
            .add("stop", createArrayType(StringType));

    /** Rows that cannot be generated, with the error kind each must get. */
    public static final Map<String, String> BAD_ROWS = Map.of(
            "bad-null", "empty_prompt",
            "bad-empty", "empty_prompt",
            "bad-long", "prompt_too_long",
            "bad-temperature", "invalid_override",
            "bad-top-p", "invalid_override",
            "bad-max-new-tokens", "invalid_override",
            "bad-stop", "invalid_override");

    private TestPrompts() {
    }

    /** Greedy and sampled rows with per-row overrides. */
    public static List<Row> good() {
        List<Row> rows = new ArrayList<>();
        rows.add(row("g01", "A fool and his money", "proverb", null, null, null, null, null, null));
        rows.add(row("g02", "You will be", "fortune", null, 0.8, null, null, 7L, null));
        rows.add(row("g03", "The best way to", "advice", null, 0.9, null, 20, null, null));
        rows.add(row("g04", "Life is", "wisdom", 4, null, null, null, null, null));
        rows.add(row("g05", "Never trust a", "advice", null, 1.0, 0.9, null, 3L, null));
        rows.add(row("g06", "There is no", "wisdom", null, null, null, null, null, List.of("e", "a")));
        rows.add(row("g07", "Q: What is", "joke", null, 0.7, null, null, null, null));
        rows.add(row("g08", "Your lucky number", "fortune", 10, 1.2, 0.95, 50, 11L, null));
        rows.add(row("g09", "Beware of", "fortune", null, null, null, null, null, null));
        rows.add(row("g10", "It is a truth", "quote", null, 0.8, null, null, null, List.of("\n")));
        return rows;
    }

    public static List<Row> bad() {
        List<Row> rows = new ArrayList<>();
        rows.add(row("bad-null", null, "bad", null, null, null, null, null, null));
        rows.add(row("bad-empty", "", "bad", null, null, null, null, null, null));
        rows.add(row("bad-long", longText(), "bad", null, null, null, null, null, null));
        rows.add(row("bad-temperature", "Hello", "bad", null, -1.0, null, null, null, null));
        rows.add(row("bad-top-p", "Hello", "bad", null, 0.5, 2.0, null, null, null));
        rows.add(row("bad-max-new-tokens", "Hello", "bad", 0, null, null, null, null, null));
        rows.add(row("bad-stop", "Hello", "bad", null, null, null, null, null, List.of("")));
        return rows;
    }

    public static List<Row> all() {
        List<Row> rows = new ArrayList<>(good());
        rows.addAll(bad());
        return rows;
    }

    /** Writes rows into dir as {@code files} Parquet files; returns dir. */
    public static Path write(SparkSession spark, List<Row> rows, StructType schema, Path dir, int files) {
        spark.createDataFrame(rows, schema).repartition(files).write().parquet(dir.toString());
        return dir;
    }

    public static Path write(SparkSession spark, List<Row> rows, Path dir) {
        return write(spark, rows, SCHEMA, dir, 1);
    }

    /** The same row under another id. */
    public static Row renamed(Row row, String id) {
        Object[] values = new Object[row.length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = row.get(i);
        }
        values[SCHEMA.fieldIndex("id")] = id;
        return new GenericRowWithSchema(values, SCHEMA);
    }

    private static Row row(String id, String prompt, String category, Integer maxNewTokens, Double temperature,
                           Double topP, Integer topK, Long seed, List<String> stop) {
        return new GenericRowWithSchema(new Object[] {id, prompt, category, maxNewTokens, temperature, topP, topK,
            seed, stop}, SCHEMA);
    }

    /** Random lowercase words, far more tokens than the fixture's 512-token context. */
    private static String longText() {
        Random random = new Random(42);
        StringBuilder text = new StringBuilder();
        while (text.length() < 6000) {
            for (int i = 2 + random.nextInt(7); i > 0; i--) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append(' ');
        }
        return text.toString();
    }
}
