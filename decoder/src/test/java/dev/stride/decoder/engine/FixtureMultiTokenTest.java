package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.Fixtures.Reference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model with its shipped, trained heads: on every reference prompt (never used in training),
 * multi-token decoding gives exactly the plain tokens and the same log-probabilities bit for bit, for every tree
 * kind, greedy and sampled, at batch 1 and 8.
 */
class FixtureMultiTokenTest {

    private static Engine engine;

    @BeforeAll
    static void load() {
        Path heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        engine = Engine.load(new EngineOptions(Fixtures.modelDir(), heads, 2, "cpu", 256L << 20));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static List<GenerationResult> run(DecodingMode mode, String tree, int maxBatch, SamplingParams sampling) {
        return run(engine, mode, tree, maxBatch, sampling);
    }

    /** Every reference prompt through {@code engine}, 48 new tokens each. */
    static List<GenerationResult> run(Engine engine, DecodingMode mode, String tree, int maxBatch,
                                      SamplingParams sampling) {
        List<GenerationRequest> requests = new ArrayList<>();
        List<Reference> references = Fixtures.references();
        for (int i = 0; i < references.size(); i++) {
            requests.add(new GenerationRequest(String.format("%02d", i), references.get(i).promptIds(), 48,
                    sampling, List.of(), true, 5));
        }
        try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(mode, tree, maxBatch))) {
            return TestDecoders.run(decoder, requests);
        }
    }

    @Test
    void greedyMultiTokenEqualsPlainAndReference() {
        List<GenerationResult> plain = run(DecodingMode.AR, "auto", 8, SamplingParams.GREEDY);
        List<Reference> references = Fixtures.references();
        for (int i = 0; i < references.size(); i++) {
            assertArrayEquals(references.get(i).greedyIds(), plain.get(i).completionIds(), references.get(i).prompt());
        }
        for (String tree : new String[] {"auto", "static", "chain:4", "nodes:16"}) {
            for (int maxBatch : new int[] {1, 8}) {
                List<GenerationResult> multi = run(DecodingMode.MTP, tree, maxBatch, SamplingParams.GREEDY);
                MultiTokenEquivalenceTest.assertSameOutputs(plain, multi, "tree " + tree + " batch " + maxBatch);
                double tokensPerPass = meanTokensPerPass(multi);
                System.out.printf("fixture heads, tree %s, max batch %d: %.2f tokens per pass%n", tree, maxBatch,
                        tokensPerPass);
                if (!tree.equals("auto")) { // auto sizes trees from this machine's measured pass cost
                    assertTrue(tokensPerPass > 2.0, "trained heads should be accepted often, got " + tokensPerPass);
                }
            }
        }
    }

    @Test
    void sampledMultiTokenEqualsPlain() {
        SamplingParams sampling = new SamplingParams(0.8f, 50, 0.95f, 11);
        List<GenerationResult> plain = run(DecodingMode.AR, "auto", 4, sampling);
        for (int maxBatch : new int[] {1, 8}) {
            for (String tree : new String[] {"chain:2", "nodes:16"}) {
                List<GenerationResult> multi = run(DecodingMode.MTP, tree, maxBatch, sampling);
                MultiTokenEquivalenceTest.assertSameOutputs(plain, multi, "sampled, " + tree + ", batch " + maxBatch);
            }
        }
    }

    static double meanTokensPerPass(List<GenerationResult> results) {
        long tokens = 0;
        long passes = 0;
        for (GenerationResult r : results) {
            tokens += r.decodeTokens();
            passes += r.decodePasses();
        }
        return (double) tokens / passes;
    }
}
