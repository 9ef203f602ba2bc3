package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code stride bench}: plain and multi-token decoding of the same prompts in one process, interleaved round by
 * round so machine noise hits both alike; checks the outputs are identical and reports speed against the
 * memory-bandwidth bound. With {@code --pass-cost}, prints the pass-cost curve instead.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Compare plain and multi-token decoding speed; the last line is one JSON object.")
public final class BenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    DecodingOptions decoding = new DecodingOptions();

    @Option(names = "--input", description = "JSONL prompts ({\"prompt\": ...}); default: the model's references.jsonl, else random ids.")
    Path input;

    @Option(names = "--prompts", defaultValue = "16", description = "Prompts to use (default: ${DEFAULT-VALUE}).")
    int promptCount;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed rounds of each mode (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--pass-cost", description = "Measure pass time for 1..64 new tokens instead.")
    boolean passCost;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
    float temperature;

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        try (Engine engine = Engine.load(decoding.engineOptions())) {
            double bandwidth = MemoryBandwidth.measureBytesPerSecond(engine.threads());
            if (passCost) {
                printPassCost(engine, out, bandwidth);
                return 0;
            }
            if (engine.heads().isEmpty()) {
                throw new IllegalArgumentException("bench compares plain and multi-token decoding: give --heads DIR");
            }
            List<GenerationRequest> requests = prompts(engine);
            DecoderOptions plain = new DecoderOptions(DecodingMode.AR, decoding.tree, decoding.maxBatch);
            DecoderOptions multi = new DecoderOptions(DecodingMode.MTP, decoding.tree, decoding.maxBatch);
            engine.speculationCosts(); // measured once, before any timing
            warmUp(engine, plain, multi, requests);
            Round ar = new Round();
            Round mtp = new Round();
            List<GenerationResult> arResults = null;
            List<GenerationResult> mtpResults = null;
            for (int r = 0; r < repeat; r++) {
                arResults = ar.add(run(engine, plain, requests));
                mtpResults = mtp.add(run(engine, multi, requests));
            }
            int identical = 0;
            for (int i = 0; i < requests.size(); i++) {
                if (Arrays.equals(arResults.get(i).completionIds(), mtpResults.get(i).completionIds())) {
                    identical++;
                }
            }
            report(engine, out, requests.size(), identical, ar, mtp, mtpResults, bandwidth);
            return identical == requests.size() ? 0 : 1;
        }
    }

    /** Alternates the modes until both have run for a second and at least twice: the JIT compiles both paths. */
    private static void warmUp(Engine engine, DecoderOptions plain, DecoderOptions multi,
                               List<GenerationRequest> requests) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        for (int round = 0; round < 2 || System.nanoTime() < deadline; round++) {
            run(engine, plain, requests);
            run(engine, multi, requests);
        }
    }

    /** Tokens and time of one mode, per timed round. */
    private static final class Round {
        final List<Double> tokensPerSecond = new ArrayList<>();
        long tokens;
        double seconds;

        List<GenerationResult> add(Timed timed) {
            long roundTokens = 0;
            for (GenerationResult r : timed.results) {
                roundTokens += r.completionTokens();
            }
            tokens += roundTokens;
            seconds += timed.seconds;
            tokensPerSecond.add(roundTokens / timed.seconds);
            return timed.results;
        }

        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    /**
     * Median over rounds of multi-token / plain throughput, each ratio from two adjacent rounds: on a shared,
     * noisy machine a slow spell then hits one ratio instead of a whole mode's total.
     */
    private static double medianSpeedup(Round ar, Round mtp) {
        double[] ratios = new double[ar.tokensPerSecond.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = mtp.tokensPerSecond.get(i) / ar.tokensPerSecond.get(i);
        }
        Arrays.sort(ratios);
        int mid = ratios.length / 2;
        return ratios.length % 2 == 1 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2;
    }

    private record Timed(List<GenerationResult> results, double seconds) {
    }

    private static Timed run(Engine engine, DecoderOptions options, List<GenerationRequest> requests) {
        long t0 = System.nanoTime();
        List<GenerationResult> results;
        try (BatchDecoder decoder = engine.newDecoder(options)) {
            requests.forEach(decoder::submit);
            results = decoder.runToCompletion();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        results.sort(Comparator.comparing(GenerationResult::id));
        for (GenerationResult r : results) {
            if (!r.ok()) {
                throw new IllegalStateException("request " + r.id() + " failed: " + r.error());
            }
        }
        return new Timed(results, seconds);
    }

    private List<GenerationRequest> prompts(Engine engine) throws IOException {
        Path file = input != null ? input : engine.modelDir().resolve("references.jsonl");
        List<GenerationRequest> requests = new ArrayList<>();
        SamplingParams sampling = new SamplingParams(temperature, 0, 1f, 1234);
        if (Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && requests.size() < promptCount) {
                    JsonNode node = JSON.readTree(line);
                    requests.add(new GenerationRequest(String.format("%04d", requests.size()),
                            engine.tokenizer().encode(node.get("prompt").asText()), maxNewTokens, sampling, List.of(),
                            true));
                }
            }
        } else {
            SplittableRandom random = new SplittableRandom(7);
            int vocab = engine.model().config().vocabSize();
            for (int i = 0; i < promptCount; i++) {
                requests.add(new GenerationRequest(String.format("%04d", i), random.ints(16, 0, vocab).toArray(),
                        maxNewTokens, sampling, List.of(), true));
            }
        }
        return requests;
    }

    private void report(Engine engine, PrintStream out, int rows, int identical, Round ar, Round mtp,
                        List<GenerationResult> mtpResults, double bandwidth) {
        long decodeTokens = 0;
        long decodePasses = 0;
        long nodes = 0;
        for (GenerationResult r : mtpResults) {
            decodeTokens += r.decodeTokens();
            decodePasses += r.decodePasses();
            nodes += r.treeNodes();
        }
        double tokensPerPass = (double) decodeTokens / decodePasses;
        double meanNodes = (double) nodes / decodePasses;
        SpeculationCosts costs = engine.speculationCosts();
        PassCostCurve curve = costs.pass();
        double speedup = medianSpeedup(ar, mtp);
        double boundTokensPerSecond = bandwidth / engine.weightBytes();
        out.printf("%-28s %14s %14s%n", "", "plain (ar)", "multi-token");
        out.printf("%-28s %14.1f %14.1f%n", "output tokens/s", ar.tokensPerSecond(), mtp.tokensPerSecond());
        out.printf("%-28s %14.2f %14.2f%n", "tokens per pass", 1.0, tokensPerPass);
        out.printf("%-28s %14.1f %14.1f%n", "mean rows per sequence-pass", 1.0, meanNodes);
        out.printf("speedup %.2fx (median of %d interleaved rounds), identical rows %d/%d, tree %s, threads %d,"
                + " max batch %d%n", speedup, repeat, identical, rows, decoding.tree, engine.threads(), decoding.maxBatch);
        out.printf("one head costs %.2f plain passes; a pass with %d rows costs %.2f%n",
                costs.perHead().cost(1) / curve.cost(1), Math.round(meanNodes), curve.ratio((int) Math.round(meanNodes)));
        out.printf("bandwidth bound (batch 1): %.1f tokens/s = %.1f GB/s measured / %.1f MB of weights per pass%n",
                boundTokensPerSecond, bandwidth / 1e9, engine.weightBytes() / 1e6);
        ObjectNode json = JSON.createObjectNode();
        json.put("ar_tokens_per_s", ar.tokensPerSecond());
        json.put("mtp_tokens_per_s", mtp.tokensPerSecond());
        json.put("speedup", speedup);
        json.put("tokens_per_pass", tokensPerPass);
        json.put("mean_tree_nodes", meanNodes);
        json.put("identical_rows", identical);
        json.put("rows", rows);
        json.put("pass_cost_ratio", curve.ratio((int) Math.round(meanNodes)));
        json.put("pass_cost_ratio_16", curve.ratio(16));
        json.put("head_cost_ratio", costs.perHead().cost(1) / curve.cost(1));
        json.put("threads", engine.threads());
        json.put("max_batch", decoding.maxBatch);
        json.put("model", engine.modelName());
        json.put("heads", engine.headsName().orElse(null));
        json.put("tree", decoding.tree);
        json.put("max_new_tokens", maxNewTokens);
        json.put("weight_bytes", engine.weightBytes());
        json.put("memory_bandwidth_gbs", bandwidth / 1e9);
        json.put("bandwidth_bound_tokens_per_s", boundTokensPerSecond);
        json.put("ar_fraction_of_bound_batch1", curve.cost(1) > 0 ? (1.0 / curve.cost(1)) / boundTokensPerSecond : 0);
        out.println(json);
    }

    private void printPassCost(Engine engine, PrintStream out, double bandwidth) {
        PassCostCurve curve = engine.passCostCurve();
        double plainSeconds = curve.cost(1);
        double boundSeconds = engine.weightBytes() / bandwidth;
        out.printf("%-8s %12s %8s%n", "tokens", "pass ms", "ratio");
        ObjectNode ratios = JSON.createObjectNode();
        for (int i = 0; i < curve.rows().length; i++) {
            out.printf("%-8d %12.3f %8.2f%n", curve.rows()[i], curve.seconds()[i] * 1e3, curve.ratio(curve.rows()[i]));
            ratios.put(String.valueOf(curve.rows()[i]), curve.ratio(curve.rows()[i]));
        }
        out.printf("plain pass %.3f ms; bandwidth bound %.3f ms (%.1f MB at %.1f GB/s): %.2fx the bound%n",
                plainSeconds * 1e3, boundSeconds * 1e3, engine.weightBytes() / 1e6, bandwidth / 1e9,
                plainSeconds / boundSeconds);
        ObjectNode json = JSON.createObjectNode();
        json.put("model", engine.modelName());
        json.put("threads", engine.threads());
        json.set("pass_cost_ratio", ratios);
        json.put("plain_pass_ms", plainSeconds * 1e3);
        json.put("bandwidth_bound_ms", boundSeconds * 1e3);
        json.put("plain_over_bound", plainSeconds / boundSeconds);
        json.put("memory_bandwidth_gbs", bandwidth / 1e9);
        json.put("weight_bytes", engine.weightBytes());
        out.println(json);
    }
}
