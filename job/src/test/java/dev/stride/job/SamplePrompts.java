package dev.stride.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;

/**
 * Writes the bundled demo prompt set, samples/prompts.parquet (run once; the file is committed):
 * {@code java -cp job/target/test-classes:job/target/classes:<test classpath> dev.stride.job.SamplePrompts samples/prompts.parquet}.
 * Mostly plain prompts, some with per-row overrides, and two rows that must fail (empty prompt, temperature -1).
 */
public final class SamplePrompts {

    static final String[] PROMPTS = {
        "A fool and his money", "You will be", "The best way to", "Life is", "Never trust a", "There is no",
        "Q: What is", "Your lucky number is", "Beware of", "It is a truth", "Love is", "The future",
        "All that glitters", "A journey of a thousand miles", "Do not", "If at first you", "The early bird",
        "Time flies", "Money can't", "Today is a good day to", "Knowledge is", "An apple a day", "Behind every",
        "The secret of", "Q: Why did the", "He who laughs", "Every cloud", "You have a", "Good things come",
        "In the beginning", "Nothing is", "Wise men say", "The meaning of life", "A penny saved",
        "Actions speak", "Happiness is", "Don't count your", "Fortune favors",
    };

    private SamplePrompts() {
    }

    public static void main(String[] args) throws IOException {
        Path target = Path.of(args[0]);
        Path scratch = Files.createTempDirectory("stride-samples");
        SparkSession spark = SparkSession.builder().master("local[1]").appName("sample-prompts")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            spark.createDataFrame(rows(), TestPrompts.SCHEMA).coalesce(1).write().mode("overwrite")
                    .parquet(scratch.resolve("out").toString());
            try (Stream<Path> files = Files.list(scratch.resolve("out"))) {
                Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst()
                        .orElseThrow();
                Files.copy(part, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            spark.stop();
        }
    }

    private static List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            String id = String.format("s%02d", i + 1);
            // Every fourth row samples, every fifth caps its length, every seventh stops at a newline.
            Double temperature = i % 4 == 1 ? 0.8 : null;
            Long seed = i % 8 == 1 ? Long.valueOf(i) : null;
            Integer maxNewTokens = i % 5 == 2 ? 16 : null;
            Double topP = i % 4 == 1 && i % 3 == 0 ? 0.9 : null;
            Integer topK = i % 4 == 1 && i % 3 == 1 ? 40 : null;
            List<String> stop = i % 7 == 3 ? List.of("\n") : null;
            String category = PROMPTS[i].startsWith("Q:") ? "joke" : i % 2 == 0 ? "proverb" : "fortune";
            rows.add(RowFactory.create(id, PROMPTS[i], category, maxNewTokens, temperature, topP, topK, seed, stop));
        }
        rows.add(RowFactory.create("s39", "", "broken", null, null, null, null, null, null));
        rows.add(RowFactory.create("s40", "The weather tomorrow", "broken", null, -1.0, null, null, null, null));
        return rows;
    }
}
