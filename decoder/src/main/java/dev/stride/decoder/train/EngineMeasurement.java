package dev.stride.decoder.train;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The number that matters: decode prompts through the engine with the trained heads, greedily, and count tokens
 * per pass for each tree, checking every output against plain decoding token for token.
 */
public final class EngineMeasurement {

    /** One tree's run over all prompts. */
    public record TreeResult(String tree, long decodeTokens, long decodePasses, long treeNodes, int[] acceptHistogram,
                             int mismatches, String firstMismatch, double seconds) {

        /** Tokens produced per decode pass, over all prompts (prefill excluded, as in the engine's own counters). */
        public double tokensPerPass() {
            return decodePasses == 0 ? 0 : (double) decodeTokens / decodePasses;
        }

        public double meanTreeNodes() {
            return decodePasses == 0 ? 0 : (double) treeNodes / decodePasses;
        }

        public boolean identical() {
            return mismatches == 0;
        }
    }

    /** Plain decoding's time and tokens, then one result per tree. */
    public record Result(int prompts, int maxNewTokens, int maxBatch, boolean ignoreEos, long plainTokens,
                         long plainPasses, double plainSeconds, List<TreeResult> trees) {
    }

    private EngineMeasurement() {
    }

    /** @param engine loaded with the heads to measure */
    public static Result measure(Engine engine, List<int[]> prompts, int maxNewTokens, int maxBatch, boolean ignoreEos,
                                 List<String> trees) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            requests.add(new GenerationRequest(String.format("%05d", i), prompts.get(i), maxNewTokens,
                    SamplingParams.GREEDY, List.of(), ignoreEos));
        }
        DecoderOptions plainOptions = new DecoderOptions(DecodingMode.AR, null, maxBatch);
        engine.speculationCosts(); // what auto trees are sized from: measured once, outside the timings
        decode(engine, plainOptions, requests); // untimed: the JIT compiles the decode path first
        long start = System.nanoTime();
        List<GenerationResult> plain = decode(engine, plainOptions, requests);
        double plainSeconds = (System.nanoTime() - start) / 1e9;
        List<TreeResult> results = new ArrayList<>();
        for (String tree : trees) {
            start = System.nanoTime();
            List<GenerationResult> multi = decode(engine, new DecoderOptions(DecodingMode.MTP, tree, maxBatch), requests);
            double seconds = (System.nanoTime() - start) / 1e9;
            results.add(summarize(tree, plain, multi, seconds));
        }
        long plainTokens = plain.stream().mapToLong(GenerationResult::decodeTokens).sum();
        long plainPasses = plain.stream().mapToLong(GenerationResult::decodePasses).sum();
        return new Result(prompts.size(), maxNewTokens, maxBatch, ignoreEos, plainTokens, plainPasses, plainSeconds,
                results);
    }

    private static TreeResult summarize(String tree, List<GenerationResult> plain, List<GenerationResult> multi,
                                        double seconds) {
        long tokens = 0;
        long passes = 0;
        long nodes = 0;
        int[] histogram = new int[0];
        int mismatches = 0;
        String firstMismatch = null;
        for (int i = 0; i < multi.size(); i++) {
            GenerationResult p = plain.get(i);
            GenerationResult m = multi.get(i);
            tokens += m.decodeTokens();
            passes += m.decodePasses();
            nodes += m.treeNodes();
            if (m.acceptHistogram().length > histogram.length) {
                histogram = Arrays.copyOf(histogram, m.acceptHistogram().length);
            }
            for (int j = 0; j < m.acceptHistogram().length; j++) {
                histogram[j] += m.acceptHistogram()[j];
            }
            if (!Arrays.equals(p.completionIds(), m.completionIds()) || p.finishReason() != m.finishReason()) {
                mismatches++;
                if (firstMismatch == null) {
                    firstMismatch = "prompt " + Integer.parseInt(p.id()) + ": plain " + Arrays.toString(p.completionIds())
                            + " vs multi-token " + Arrays.toString(m.completionIds());
                }
            }
        }
        return new TreeResult(tree, tokens, passes, nodes, histogram, mismatches, firstMismatch, seconds);
    }

    private static List<GenerationResult> decode(Engine engine, DecoderOptions options,
                                                 List<GenerationRequest> requests) {
        List<GenerationResult> results;
        try (BatchDecoder decoder = engine.newDecoder(options)) {
            requests.forEach(decoder::submit);
            results = decoder.runToCompletion();
        }
        for (GenerationResult r : results) {
            if (!r.ok()) {
                throw new IllegalStateException("evaluation prompt " + r.id() + " failed: " + r.error());
            }
        }
        results.sort(Comparator.comparing(GenerationResult::id));
        return results;
    }
}
