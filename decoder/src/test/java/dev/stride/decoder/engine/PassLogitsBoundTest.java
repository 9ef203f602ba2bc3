package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.testing.TinyModels;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pass holds a row of logits for every tree node of every sequence. Over Gemma 3's vocabulary (262,144 tokens) two
 * nodes:5000 trees (4,681 nodes each with four heads), or 128 sequences of nodes:64, are more logits than a Java
 * array holds: the size wrapped negative, no array was made, and the pass failed every request in flight.
 */
class PassLogitsBoundTest {

    private static final ModelConfig CONFIG = TinyModels.config(Architecture.LLAMA, 16, 2, 1, 1, 262_144, 64, 0);
    private static ComputePool pool;
    private static Transformer transformer;
    private static MedusaHeads heads;

    @BeforeAll
    static void setUp() {
        pool = new ComputePool(2);
        ModelWeights weights = TinyModels.weights(CONFIG, 5);
        transformer = TestDecoders.transformer(CONFIG, weights, pool);
        heads = TinyModels.heads(CONFIG, weights, 4, 1, 6);
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    private static List<GenerationRequest> requests() {
        Random random = new Random(3);
        return List.of(
                new GenerationRequest("a", random.ints(5, 0, CONFIG.vocabSize()).toArray(), 7, SamplingParams.GREEDY,
                        List.of(), true),
                new GenerationRequest("b", random.ints(3, 0, CONFIG.vocabSize()).toArray(), 6,
                        new SamplingParams(0.9f, 0, 1f, 11), List.of(), true));
    }

    @Test
    void treesAreCutToTheLogitsOnePassHoldsWithTheSameCompletions() {
        List<GenerationResult> plain = TestDecoders.run(TestDecoders.decoder(transformer, null, Set.of(), 2),
                requests());
        MedusaDrafter drafter = new MedusaDrafter(heads, TreeSpecs.parse("nodes:5000", heads.numHeads(), () -> {
            throw new AssertionError("no auto trees here");
        }), new VectorOps(pool));
        TestDecoders.PassSizes backend = new TestDecoders.PassSizes(transformer);
        List<GenerationResult> results = TestDecoders.run(new BatchDecoder(backend,
                new KvCacheBudget(CONFIG, 64L << 20), drafter, Set.of(), TestDecoders.TEXT, 2), requests());
        for (int i = 0; i < plain.size(); i++) {
            assertNull(results.get(i).error(), results.get(i).id());
            assertArrayEquals(plain.get(i).completionIds(), results.get(i).completionIds(), results.get(i).id());
        }
        int rowLimit = BatchDecoder.MAX_PASS_LOGITS / CONFIG.vocabSize();
        assertTrue(backend.mostLogitRows <= rowLimit, "a pass asked for " + backend.mostLogitRows + " logit rows");
        assertTrue(results.get(0).treeNodes() > results.get(0).decodePasses(), "the cut trees still guess");
    }

    @Test
    void sequencesBeyondTheLogitsOnePassHoldsWaitForTheNextPass() {
        BatchDecoder decoder = TestDecoders.decoder(transformer, null, Set.of(), 1_000);
        assertEquals(BatchDecoder.MAX_PASS_LOGITS / CONFIG.vocabSize(), decoder.capacity());
    }
}
