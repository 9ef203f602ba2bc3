package dev.stride.decoder.forward;

import static dev.stride.decoder.testing.AllocationProbe.assertAllocatesLessThan;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.Fixtures;

/**
 * Run in a JVM of its own by {@link PassAllocationTest}: the bundled model in one weight layout (the argument), on two
 * compute threads, passes of 1, 2, 3, 4 and 8 rows after a 64-token prefix, until 200 runs of the five (1,000 passes)
 * allocate less than a byte a pass on the calling thread; exits with the assertion's failure after 60 s otherwise.
 */
public final class PassAllocationProbe {

    private static final int PREFIX = 64;
    private static final int[] ROWS = {1, 2, 3, 4, 8};

    public static void main(String[] args) throws Exception {
        WeightLayout layout = WeightLayout.valueOf(args[0]);
        ModelConfig config = ModelConfig.read(Fixtures.modelDir());
        try (TensorStore store = TensorStore.openDirectory(Fixtures.modelDir());
             ComputePool pool = new ComputePool(2)) {
            Transformer transformer = new Transformer(config, ModelLoader.weights(config, store, layout),
                    new VectorOps(pool), pool);
            KvCache cache = new KvCacheBudget(config, 1 << 26).tryAllocate(PREFIX + ROWS[ROWS.length - 1]);
            PassBatch prefill = new PassBatch();
            for (int i = 0; i < PREFIX; i++) {
                prefill.addCausal(cache, 5 + i, i, i == PREFIX - 1);
            }
            PassOutput out = transformer.newOutput();
            transformer.forward(prefill, out);
            PassBatch[] passes = new PassBatch[ROWS.length];
            for (int p = 0; p < ROWS.length; p++) {
                passes[p] = new PassBatch();
                for (int i = 0; i < ROWS[p]; i++) {
                    passes[p].addCausal(cache, 7 + i, PREFIX + i, true);
                }
            }
            assertAllocatesLessThan(layout + ": 1,000 warm passes", () -> {
                for (PassBatch pass : passes) {
                    transformer.forward(pass, out);
                }
            }, 200L * ROWS.length);
        }
    }
}
