package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Prompts longer than a pass's prefill rows. Before, a pass carried every admitted prompt whole, so its activations
 * grew with the prompts (about 300 KB a row for Qwen2.5-7B: two 30,000-token prompts of its 32k context took 19 GB,
 * and overflowed the int size of the gate/up buffer, a NegativeArraySizeException that failed every request of the
 * decoder) while the KV budget bounded only the caches.
 */
class LongPromptPrefillTest {

    private static final ModelConfig CONFIG = TinyModels.config(Architecture.LLAMA, 32, 4, 2, 2, 61, 2048, 0);
    private static ComputePool pool;
    private static Transformer transformer;
    private static MedusaHeads heads;

    @BeforeAll
    static void setUp() {
        pool = new ComputePool(2);
        ModelWeights weights = TinyModels.weights(CONFIG, 77);
        transformer = new Transformer(CONFIG, weights, new VectorOps(pool), pool);
        heads = TinyModels.heads(CONFIG, weights, 3, 1, 7);
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    private static GenerationRequest request(String id, int promptLength, int maxNew, long seed) {
        int[] prompt = new Random(seed).ints(promptLength, 0, CONFIG.vocabSize()).toArray();
        SamplingParams sampling = seed % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.8f, 10, 0.9f, seed);
        return new GenerationRequest(id, prompt, maxNew, sampling, List.of(), true);
    }

    /** The completion by hand: the whole prompt in one pass, then one token a pass. */
    private static int[] reference(GenerationRequest request) {
        int[] prompt = request.promptIds();
        KvCache cache = new KvCacheBudget(CONFIG, 64L << 20).tryAllocate(prompt.length + request.maxNewTokens());
        CoupledSampler sampler = new CoupledSampler(CONFIG.vocabSize());
        PassBatch batch = new PassBatch();
        for (int i = 0; i < prompt.length; i++) {
            batch.addCausal(cache, prompt[i], i, i == prompt.length - 1);
        }
        int[] completion = new int[request.maxNewTokens()];
        for (int n = 0; n < completion.length; n++) {
            PassOutput out = transformer.forward(batch);
            int position = prompt.length + n;
            completion[n] = sampler.choose(out.logits(), out.logitsOffset(0), request.sampling(), position);
            batch.clear();
            batch.addCausal(cache, completion[n], position, true);
        }
        return completion;
    }

    @Test
    void longPromptsArePrefilledInBoundedPassesWithTheSameCompletions() {
        List<GenerationRequest> requests = new ArrayList<>();
        requests.add(request("short", 7, 20, 1));
        requests.add(request("long", 1300, 12, 2));
        requests.add(request("two passes", 900, 10, 3));
        requests.add(request("whole", 2000, 30, 4));
        requests.add(request("late short", 5, 8, 5));
        Map<String, int[]> expected = new HashMap<>();
        requests.forEach(r -> expected.put(r.id(), reference(r)));
        for (String tree : new String[] {null, "chain:3", "nodes:5"}) {
            Drafter drafter = tree == null ? null : new MedusaDrafter(heads, TreeSpecs.parse(tree, heads.numHeads(),
                    () -> {
                        throw new AssertionError("no auto trees here");
                    }), new VectorOps(pool));
            TestDecoders.PassSizes backend = new TestDecoders.PassSizes(transformer);
            int maxBatch = 4;
            try (BatchDecoder decoder = new BatchDecoder(backend, new KvCacheBudget(CONFIG, 64L << 20), drafter,
                    Set.of(), TestDecoders.TEXT, maxBatch)) {
                requests.forEach(decoder::submit);
                for (GenerationResult result : decoder.runToCompletion()) {
                    String what = tree + " " + result.id();
                    assertNull(result.error(), what);
                    assertArrayEquals(expected.get(result.id()), result.completionIds(), what);
                    int rows = BatchDecoder.MAX_PREFILL_ROWS;
                    int prefillPasses = (result.promptTokens() + rows - 1) / rows;
                    assertTrue(result.forwardPasses() >= prefillPasses + result.decodePasses(), what);
                }
            }
            int treeRows = maxBatch * (drafter == null ? 1 : drafter.maxTreeNodes());
            assertTrue(backend.mostRows <= BatchDecoder.MAX_PREFILL_ROWS + treeRows,
                    tree + ": a pass carried " + backend.mostRows + " rows");
        }
    }
}
