package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled model and its heads under {@code q8}: quantized even though it is cache-sized, and within the layout
 * every exactness rule holds: multi-token equals plain for every tree, greedy and sampled, whatever the batch size
 * and thread count.
 */
class FixtureQ8Test {

    private static final Path HEADS = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
    private static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.load(new EngineOptions(Fixtures.modelDir(), HEADS, 2, "cpu", 256L << 20, "q8"));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void everyProjectionAndHeadIsQuantizedAndTheLayoutSaysSo() {
        assertEquals("q8", engine.weightLayout());
        ModelWeights weights = engine.model().weights();
        assertInstanceOf(PackedQ8Matrix.class, weights.lmHead());
        assertInstanceOf(PackedQ8Matrix.class, weights.layers()[0].qkv());
        assertInstanceOf(PackedQ8Matrix.class, weights.layers()[0].down());
        assertTrue(!(weights.embedding() instanceof PackedQ8Matrix), "embedding lookups keep the stored values");
        assertInstanceOf(PackedQ8Matrix.class, engine.heads().orElseThrow().projections()[0]);
    }

    @Test
    void keepHeadLeavesTheOutputProjectionAndHeadsAtFullPrecision() {
        try (Engine keep = Engine.load(new EngineOptions(Fixtures.modelDir(), HEADS, 1, "cpu", 64L << 20,
                "q8-keep-head"))) {
            assertEquals("q8_keep_head", keep.weightLayout());
            assertInstanceOf(PackedHalfMatrix.class, keep.model().weights().lmHead(), "the stored F16 values");
            assertInstanceOf(PackedQ8Matrix.class, keep.model().weights().layers()[0].gateUp());
            assertTrue(!(keep.heads().orElseThrow().projections()[0] instanceof PackedQ8Matrix));
        }
    }

    @Test
    void multiTokenEqualsPlainWithinQ8() {
        List<GenerationResult> plain = FixtureMultiTokenTest.run(engine, DecodingMode.AR, "auto", 8,
                SamplingParams.GREEDY);
        for (String tree : new String[] {"static", "chain:4", "nodes:16"}) {
            for (int maxBatch : new int[] {1, 8}) {
                List<GenerationResult> multi = FixtureMultiTokenTest.run(engine, DecodingMode.MTP, tree, maxBatch,
                        SamplingParams.GREEDY);
                MultiTokenEquivalenceTest.assertSameOutputs(plain, multi, "q8, tree " + tree + " batch " + maxBatch);
            }
        }
        SamplingParams sampling = new SamplingParams(0.8f, 50, 0.95f, 11);
        List<GenerationResult> sampledPlain = FixtureMultiTokenTest.run(engine, DecodingMode.AR, "auto", 3, sampling);
        List<GenerationResult> sampledMulti = FixtureMultiTokenTest.run(engine, DecodingMode.MTP, "nodes:16", 8,
                sampling);
        MultiTokenEquivalenceTest.assertSameOutputs(sampledPlain, sampledMulti, "q8, sampled");
    }

    @Test
    void plainDecodingIsTheSameOnOneThreadAtBatchOne() {
        List<GenerationResult> twoThreads = FixtureMultiTokenTest.run(engine, DecodingMode.AR, "auto", 8,
                SamplingParams.GREEDY);
        try (Engine single = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "cpu", 64L << 20, "q8"))) {
            List<GenerationResult> oneThread = FixtureMultiTokenTest.run(single, DecodingMode.AR, "auto", 1,
                    SamplingParams.GREEDY);
            MultiTokenEquivalenceTest.assertSameOutputs(twoThreads, oneThread, "q8, 1 thread batch 1 vs 2 threads 8");
        }
        int sameAsFullPrecision = 0;
        List<Fixtures.Reference> references = Fixtures.references();
        for (int i = 0; i < references.size(); i++) {
            sameAsFullPrecision += Arrays.equals(references.get(i).greedyIds(), twoThreads.get(i).completionIds()) ? 1 : 0;
        }
        System.out.printf("q8: %d of %d reference rows equal to float32 greedy decoding%n", sameAsFullPrecision,
                references.size());
    }
}
