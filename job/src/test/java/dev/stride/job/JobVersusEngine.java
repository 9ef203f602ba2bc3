package dev.stride.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.job.config.JobConfig;
import dev.stride.job.infer.ModelRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/**
 * The job's decoding speed against the engine alone in one JVM (docs/job.md, "Spark overhead, measured"): the
 * engine the job's task uses ({@link ModelRegistry} loads it once per JVM) decodes the prompts of DIR/prompts.jsonl
 * plainly, as {@code bench --stop-at-eos} does, and the job runs over DIR/prompts.parquet in the same embedded Spark;
 * ROUNDS rounds, the two taking turns at going first. Both share the JIT's code, the heap and the minute, which
 * separate processes do not (this machine's speed differs between processes by up to 1.5x). Usage:
 * {@code scripts/job-vs-engine.sh DIR ROUNDS}.
 */
public final class JobVersusEngine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JobVersusEngine() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        SparkSession spark = SparkSession.builder().appName("job-versus-engine").master("local[*]")
                .config("spark.ui.showConsoleProgress", "false").getOrCreate();
        try {
            double[] ratios = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                Path outputDir = dir.resolve("job-versus-engine-" + round);
                deleteRecursively(outputDir); // an earlier measurement's
                String output = outputDir.toString();
                String[] jobArgs = {"--input", dir.resolve("prompts.parquet").toString(), "--output", output,
                    "--mode", "ar", "--max-batch", "8", "--threads", "2", "--max-new-tokens", "64", "--partitions", "1"};
                JobConfig config = RunCommand.parse(jobArgs);
                // The first of the two in a round runs in the minute before the second: take turns.
                double job = round % 2 == 1 ? job(jobArgs, output) : 0;
                double engine;
                try (ModelRegistry.Lease lease = ModelRegistry.lease(config)) {
                    engine = engineAlone(lease.engine(), config, dir.resolve("prompts.jsonl"));
                }
                if (round % 2 == 0) {
                    job = job(jobArgs, output);
                }
                ratios[round] = job / engine;
                System.out.printf(Locale.ROOT, "round %d: engine alone %.0f tokens/s, job decoding %.0f tokens/s, "
                        + "job / engine %.3f%n", round, engine, job, ratios[round]);
            }
            Arrays.sort(ratios);
            System.out.printf(Locale.ROOT, "median job / engine over %d rounds: %.3f%n", rounds,
                    rounds % 2 == 1 ? ratios[rounds / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2);
        } finally {
            spark.stop();
        }
    }

    /** The job's decoding speed (completion tokens / busy seconds of its one executor). */
    private static double job(String[] jobArgs, String output) throws IOException {
        if (StrideJob.execute(jobArgs) != 0) {
            throw new IllegalStateException("the job failed");
        }
        JsonNode summary = JSON.readTree(Files.readString(Path.of(output, "_stride", "summary.json")));
        return summary.get("per_executor").get(0).get("output_tokens_per_s").asDouble();
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (Files.exists(path)) {
            try (var paths = Files.walk(path)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Completion tokens per second of the engine decoding the prompts alone, with the job's decoder options. The
     * prompts are encoded as they are (no chat template, no checks): for prompt sets the job takes whole, such as
     * BenchPrompts'.
     */
    private static double engineAlone(Engine engine, JobConfig config, Path prompts) throws IOException {
        List<GenerationRequest> requests = new ArrayList<>();
        for (String line : Files.readAllLines(prompts, StandardCharsets.UTF_8)) {
            int[] ids = engine.tokenizer().encode(JSON.readTree(line).get("prompt").asText());
            requests.add(new GenerationRequest("p" + requests.size(), ids, config.maxNewTokens(),
                    SamplingParams.GREEDY, List.of(), false));
        }
        long start = System.nanoTime();
        long tokens = 0;
        try (BatchDecoder decoder = engine.newDecoder(config.decoderOptions())) {
            requests.forEach(decoder::submit);
            for (GenerationResult result : decoder.runToCompletion()) {
                tokens += result.completionIds().length;
            }
        }
        return tokens / ((System.nanoTime() - start) / 1e9);
    }
}
