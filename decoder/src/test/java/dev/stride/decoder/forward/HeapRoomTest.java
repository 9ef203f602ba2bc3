package dev.stride.decoder.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.testing.TinyModels;
import org.junit.jupiter.api.Test;

/** The CPU backend's KV budget stays within the heap; a request that fits is left as it is. */
class HeapRoomTest {

    @Test
    void aBudgetPastTheHeapIsCutToWhatTheHeapLeaves() {
        long max = Runtime.getRuntime().maxMemory();
        long capped = HeapRoom.forKvCaches(4 * max);
        assertTrue(capped > 0 && capped <= max - HeapRoom.MIN_RESERVE, capped + " bytes of a " + max + "-byte heap");
    }

    @Test
    void aBudgetTheHeapHoldsIsKept() {
        assertEquals(16L << 20, HeapRoom.forKvCaches(16L << 20));
    }

    @Test
    void theCpuBackendsBudgetIsTheHeapsRoom() {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 1);
        try (ComputePool pool = new ComputePool(1)) {
            Transformer transformer = new Transformer(config, weights, new VectorOps(pool), pool);
            long budget = transformer.kvCacheBudget(1L << 50).budgetBytes();
            assertTrue(budget < Runtime.getRuntime().maxMemory(), budget + " bytes");
        }
    }
}
