package dev.stride.job;

import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.job.infer.RowSeeds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Runs the job the way the command line does, and the engine directly for comparison. */
public final class JobRuns {

    public static final Path FIXTURE = Path.of(System.getProperty("stride.fixture.dir"));

    private JobRuns() {
    }

    /** Parses run options (the fixture model unless --model is given) and runs the job. */
    public static RunSummary run(SparkSession spark, String... args) {
        String[] withModel = List.of(args).contains("--model") ? args
                : Stream.concat(Stream.of("--model", FIXTURE.toString()), Stream.of(args)).toArray(String[]::new);
        return GenerationJob.run(spark, RunCommand.parse(withModel));
    }

    /** Every output row ordered by id, without the columns that depend on timing or placement. */
    public static List<Row> comparable(SparkSession spark, Path output) {
        return spark.read().parquet(output.toString()).drop("decode_ms", "executor").orderBy("id").collectAsList();
    }

    /** Asserts two outputs hold the same rows. */
    public static void assertSameOutput(SparkSession spark, Path expected, Path actual) {
        assertSameRows(comparable(spark, expected), comparable(spark, actual));
    }

    /** Asserts two row lists are equal, naming only the rows that differ (prompts can be long). */
    public static void assertSameRows(List<Row> expected, List<Row> actual) {
        Set<Row> missing = new LinkedHashSet<>(expected);
        actual.forEach(missing::remove);
        Set<Row> extra = new LinkedHashSet<>(actual);
        expected.forEach(extra::remove);
        if (expected.size() != actual.size() || !missing.isEmpty()) {
            fail("outputs differ: " + expected.size() + " vs " + actual.size() + " rows\n  expected only:\n"
                    + brief(missing) + "\n  actual only:\n" + brief(extra));
        }
    }

    private static String brief(Set<Row> rows) {
        return rows.stream().map(row -> {
            String text = row.mkString(" | ");
            return "    " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
        }).collect(Collectors.joining("\n"));
    }

    /**
     * Generates {@link TestPrompts} rows with a BatchDecoder of our own, building each request from the row as the
     * job's contract says: overrides over job defaults, explicit seed or one derived from (job seed, id).
     */
    public static Map<String, GenerationResult> direct(List<Row> rows, int maxNewTokens, long jobSeed, int maxBatch) {
        Map<String, GenerationResult> results = new HashMap<>();
        try (Engine engine = Engine.load(EngineOptions.cpu(FIXTURE, null));
             BatchDecoder decoder = engine.newDecoder(new DecoderOptions(DecodingMode.AR, "auto", maxBatch))) {
            List<GenerationRequest> pending = new ArrayList<>();
            for (Row row : rows) {
                String id = row.getAs("id");
                Integer max = row.getAs("max_new_tokens");
                Double temperature = row.getAs("temperature");
                Double topP = row.getAs("top_p");
                Integer topK = row.getAs("top_k");
                Long seed = row.getAs("seed");
                List<String> stop = row.getAs("stop");
                pending.add(new GenerationRequest(id, engine.tokenizer().encode(row.getAs("prompt")),
                        max == null ? maxNewTokens : max,
                        new SamplingParams(temperature == null ? 0f : temperature.floatValue(),
                                topK == null ? 0 : topK, topP == null ? 1f : topP.floatValue(),
                                seed == null ? RowSeeds.derive(jobSeed, id) : seed),
                        stop == null ? List.of() : stop));
            }
            while (!pending.isEmpty() || decoder.inFlight() > 0) {
                while (!pending.isEmpty() && decoder.inFlight() < decoder.capacity()) {
                    decoder.submit(pending.remove(0));
                }
                decoder.step();
                decoder.drainFinished().forEach(result -> results.put(result.id(), result));
            }
        }
        return results;
    }
}
