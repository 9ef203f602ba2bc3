package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The product's promise: multi-token output equals plain output, token for token, for any tree and batch. */
class MultiTokenEquivalenceTest {

    private static final String[] TREES = {"chain:1", "chain:3", "static", "nodes:4", "nodes:12", "auto"};

    @Test
    void randomModelsRandomHeadsRandomTreesMatchPlainDecoding() {
        Random random = new Random(20261129);
        ModelConfig[] configs = {
            TinyModels.llama(),
            TinyModels.config(Architecture.QWEN2, 24, 3, 1, 2, 53, 96, 0),
            TinyModels.config(Architecture.MISTRAL, 32, 4, 4, 1, 47, 64, 6),
        };
        int compared = 0;
        try (ComputePool pool = new ComputePool(2)) {
            for (ModelConfig config : configs) {
                ModelWeights weights = TinyModels.weights(config, random.nextLong());
                // The middle model's heads project with its lm_head, all levels as rows of one matmul.
                MedusaHeads heads = config == configs[1]
                        ? TinyModels.sharedProjectionHeads(config, weights, 3, 1, random.nextLong())
                        : TinyModels.heads(config, weights, 3, 1, random.nextLong());
                Transformer transformer = TestDecoders.transformer(config, weights, pool);
                for (int round = 0; round < 4; round++) {
                    List<GenerationRequest> requests = randomRequests(random, config, 6);
                    Set<Integer> eos = random.nextBoolean() ? Set.of() : Set.of(random.nextInt(config.vocabSize()));
                    List<GenerationResult> plain = TestDecoders.run(
                            TestDecoders.decoder(transformer, null, eos, 1 + random.nextInt(4)), requests);
                    for (String tree : TREES) {
                        MedusaDrafter drafter = new MedusaDrafter(heads, TreeSpecs.parse(tree, heads.numHeads(),
                                () -> SpeculationCosts.passOnly(new PassCostCurve(new int[] {1, 16}, new double[] {1, 1.5}))),
                                new VectorOps(pool));
                        List<GenerationResult> multi = TestDecoders.run(
                                TestDecoders.decoder(transformer, drafter, eos, 1 + random.nextInt(6)), requests);
                        assertSameOutputs(plain, multi, config + " tree " + tree);
                        compared += multi.size();
                    }
                }
            }
        }
        assertEquals(3 * 4 * TREES.length * 6, compared);
    }

    /**
     * Heads restricted to a draft vocabulary (here a random third of the tokens, so most next tokens are ones the heads
     * cannot propose) still give plain decoding's outputs, with projections of their own or shared.
     */
    @Test
    void headsWithADraftVocabularyMatchPlainDecoding() {
        Random random = new Random(20261205);
        ModelConfig config = TinyModels.llama();
        int compared = 0;
        try (ComputePool pool = new ComputePool(2)) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            Transformer transformer = TestDecoders.transformer(config, weights, pool);
            for (boolean shared : new boolean[] {false, true}) {
                MedusaHeads full = shared ? TinyModels.sharedProjectionHeads(config, weights, 3, 1, random.nextLong())
                        : TinyModels.heads(config, weights, 3, 1, random.nextLong());
                int[] ids = random.ints(0, config.vocabSize()).distinct().limit(config.vocabSize() / 3).toArray();
                MedusaHeads heads = full.restrictedTo(new DraftVocabulary(ids, 0.5, 10), PackedQ8Matrix::quantize);
                List<GenerationRequest> requests = randomRequests(random, config, 6);
                List<GenerationResult> plain = TestDecoders.run(
                        TestDecoders.decoder(transformer, null, Set.of(), 2), requests);
                for (String tree : TREES) {
                    PassCostCurve pass = new PassCostCurve(new int[] {1, 16}, new double[] {1, 1.5});
                    MedusaDrafter drafter = new MedusaDrafter(heads, TreeSpecs.parse(tree, heads.numHeads(),
                            () -> SpeculationCosts.passOnly(pass)), new VectorOps(pool));
                    List<GenerationResult> multi = TestDecoders.run(
                            TestDecoders.decoder(transformer, drafter, Set.of(), 1 + random.nextInt(6)), requests);
                    assertSameOutputs(plain, multi, (shared ? "shared" : "own") + " projections, tree " + tree);
                    compared += multi.size();
                }
            }
        }
        assertEquals(2 * TREES.length * 6, compared);
    }

    static List<GenerationRequest> randomRequests(Random random, ModelConfig config, int count) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + random.nextInt(12)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(config.vocabSize());
            }
            SamplingParams sampling = random.nextBoolean() ? SamplingParams.GREEDY
                    : new SamplingParams(0.5f + random.nextFloat(), random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(20),
                    random.nextBoolean() ? 1f : 0.5f + 0.5f * random.nextFloat(), random.nextLong());
            List<String> stops = random.nextInt(4) == 0 ? List.of("<" + random.nextInt(config.vocabSize()) + ">")
                    : List.of();
            requests.add(new GenerationRequest(String.format("r%02d", i), prompt, 1 + random.nextInt(24), sampling,
                    stops));
        }
        return requests;
    }

    static void assertSameOutputs(List<GenerationResult> expected, List<GenerationResult> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            GenerationResult e = expected.get(i);
            GenerationResult a = actual.get(i);
            assertNull(a.error(), what);
            assertEquals(e.id(), a.id(), what);
            assertArrayEquals(e.completionIds(), a.completionIds(), what + " request " + e.id());
            assertEquals(e.finishReason(), a.finishReason(), what + " request " + e.id());
            assertEquals(e.completion(), a.completion(), what + " request " + e.id());
            assertTrue(a.decodePasses() <= e.decodePasses(), what + ": more passes than plain decoding");
            assertSameLogprobs(e, a, what + " request " + e.id());
        }
    }

    /** Log-probabilities, when both results carry them, are the same floats bit for bit. */
    static void assertSameLogprobs(GenerationResult expected, GenerationResult actual, String what) {
        assertEquals(expected.logprobs() == null, actual.logprobs() == null, what + ": logprobs on one side only");
        if (expected.logprobs() == null) {
            return;
        }
        assertEquals(expected.completionIds().length, expected.logprobs().size(), what + ": one per token");
        assertEquals(expected.logprobs().size(), actual.logprobs().size(), what);
        for (int t = 0; t < expected.logprobs().size(); t++) {
            TokenLogprob e = expected.logprobs().get(t);
            TokenLogprob a = actual.logprobs().get(t);
            String at = what + ", token " + t;
            assertEquals(expected.completionIds()[t], e.id(), at);
            assertEquals(e.id(), a.id(), at);
            assertEquals(Float.floatToRawIntBits(e.logprob()), Float.floatToRawIntBits(a.logprob()),
                    at + ": " + e.logprob() + " vs " + a.logprob());
            assertArrayEquals(e.topIds(), a.topIds(), at);
            assertArrayEquals(e.topLogprobs(), a.topLogprobs(), at); // compares raw bits
        }
    }
}
