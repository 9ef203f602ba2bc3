package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a failed engine load or cost measurement leaves behind: nothing (Spark retries tasks on the same JVM). */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class EngineResourcesTest {

    private static final ModelConfig CONFIG = TinyModels.llama();

    private static long computeThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("stride-compute-")).count();
    }

    /** The compute pool is made before the engine's constructor can fail (no CUDA here, or no KV budget). */
    @Test
    void aFailedLoadLeavesNoComputeThreads() throws Exception {
        long before = computeThreads();
        for (int i = 0; i < 3; i++) {
            assertThrows(IllegalArgumentException.class, () -> Engine.load(
                    new EngineOptions(Fixtures.modelDir(), null, 4, "cuda:0", 64L << 20)));
            assertThrows(IllegalArgumentException.class, () -> Engine.load(
                    new EngineOptions(Fixtures.modelDir(), null, 4, "cpu", 0)));
        }
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (computeThreads() > before && System.nanoTime() < deadline) {
            Thread.sleep(20); // closed workers finish their spin and exit
        }
        assertEquals(before, computeThreads());
    }

    /** A backend whose passes fail (a CUDA launch error, an OutOfMemoryError growing activations...). */
    private static ForwardBackend failing(ForwardBackend inner) {
        return new ForwardBackend() {
            @Override
            public ModelConfig config() {
                return inner.config();
            }

            @Override
            public void forward(PassBatch batch, PassOutput out) {
                throw new IllegalStateException("pass failed");
            }

            @Override
            public KvCacheBudget kvCacheBudget(long requestedBytes) {
                return inner.kvCacheBudget(requestedBytes);
            }

            @Override
            public String device() {
                return "failing";
            }

            @Override
            public void close() {
            }
        };
    }

    /** A measurement whose pass fails gives its cache back: a request needing those bytes would wait forever. */
    @Test
    void aFailedCostMeasurementGivesItsCacheBack() {
        try (ComputePool pool = new ComputePool(2)) {
            Transformer transformer = new Transformer(CONFIG, TinyModels.weights(CONFIG, 1), new VectorOps(pool),
                    pool);
            KvCacheBudget budget = new KvCacheBudget(CONFIG, new KvCacheBudget(CONFIG, 1).bytesFor(128));
            assertThrows(IllegalStateException.class, () -> PassCostMeter.measure(failing(transformer), budget,
                    PassCostMeter.DEFAULT_ROWS, Engine.COST_PREFIX, 1));
            assertEquals(0, budget.usedBytes());
            try (BatchDecoder d = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 2)) {
                d.submit(new GenerationRequest("r", new int[] {1, 2, 3}, 100, SamplingParams.GREEDY, List.of()));
                assertTrue(d.runToCompletion().get(0).ok());
            }
        }
    }

    @Test
    void aClosedEngineRefusesNewDecoders() {
        Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "cpu", 1L << 20));
        engine.close();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> engine.newDecoder(new DecoderOptions(DecodingMode.AR, null, 1)));
        assertTrue(e.getMessage().contains(Fixtures.modelDir().toString()) && e.getMessage().contains("closed"),
                e.getMessage());
    }

    /**
     * An {@code auto} decoder made while another holds the whole KV budget cannot measure the pass cost now; before,
     * the error said the budget was too small, though the budget holds the measurement's cache four times over.
     */
    @Test
    void aMeasurementWhileDecodersHoldTheBudgetSaysItIsInUse() {
        Path heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), heads, 2, "cpu", 1L << 20))) {
            try (BatchDecoder busy = engine.newDecoder(new DecoderOptions(DecodingMode.AR, "auto", 1))) {
                busy.submit(new GenerationRequest("whole context", Fixtures.references().get(0).promptIds(),
                        Integer.MAX_VALUE, SamplingParams.GREEDY, List.of(), true));
                busy.step(); // its cache takes the whole budget
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> engine.newDecoder(new DecoderOptions(DecodingMode.MTP, "auto", 1)));
                assertTrue(e.getMessage().contains("in use") && e.getMessage().contains("warmUp"), e.getMessage());
                assertTrue(e.getMessage().contains("(and wait in line for 0 more)"), e.getMessage());
                try (BatchDecoder waiting = engine.newDecoder(new DecoderOptions(DecodingMode.AR, null, 1))) {
                    waiting.submit(new GenerationRequest("behind it", Fixtures.references().get(1).promptIds(), 4,
                            SamplingParams.GREEDY, List.of(), true));
                    waiting.step(); // no room: it waits in line, and the room it needs is kept for it
                    e = assertThrows(IllegalStateException.class,
                            () -> engine.newDecoder(new DecoderOptions(DecodingMode.MTP, "auto", 1)));
                    assertTrue(e.getMessage().matches("(?s).*\\(and wait in line for [1-9][0-9]* more\\).*"),
                            e.getMessage());
                }
            }
        }
    }
}
