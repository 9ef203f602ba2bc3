package dev.stride.job;

import static org.apache.spark.sql.types.DataTypes.StringType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes one prompt set twice, for measuring the job's overhead against {@code stride bench} on the same prompts: N
 * plain rows (the demo's {@link SamplePrompts#PROMPTS} in turn, no per-row overrides) as DIR/prompts.parquet/ for the
 * job and as DIR/prompts.jsonl for bench. Usage (docs/job.md, "Spark overhead"):
 * {@code java -cp job/target/test-classes:<test classpath> dev.stride.job.BenchPrompts DIR N}.
 */
public final class BenchPrompts {

    private BenchPrompts() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int count = Integer.parseInt(args[1]);
        List<Row> rows = new ArrayList<>();
        List<String> jsonl = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String prompt = SamplePrompts.PROMPTS[i % SamplePrompts.PROMPTS.length];
            rows.add(RowFactory.create(String.format("b%05d", i), prompt));
            jsonl.add("{\"prompt\": \"" + prompt.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
        }
        Files.write(dir.resolve("prompts.jsonl"), jsonl, StandardCharsets.UTF_8);
        SparkSession spark = SparkSession.builder().master("local[1]").appName("bench-prompts")
                .config("spark.ui.enabled", "false").getOrCreate();
        try {
            StructType schema = new StructType().add("id", StringType).add("prompt", StringType);
            spark.createDataFrame(rows, schema).coalesce(1).write().mode("overwrite")
                    .parquet(dir.resolve("prompts.parquet").toString());
        } finally {
            spark.stop();
        }
    }
}
