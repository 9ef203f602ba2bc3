package dev.stride.decoder.engine;

import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.mtp.PassCostCurve;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Times forward passes that carry n new tokens after a prefix: the curve behind {@code --tree auto}. */
public final class PassCostMeter {

    public static final int[] DEFAULT_ROWS = {1, 2, 4, 8, 16, 32, 64};

    private PassCostMeter() {
    }

    /**
     * @param rows ascending row counts starting at 1
     * @param prefix tokens already in the cache before the measured rows
     * @param repeats timed passes per row count (the median is kept), after one warm-up
     */
    public static PassCostCurve measure(ForwardBackend transformer, KvCacheBudget budget, int[] rows, int prefix,
                                        int repeats) {
        int maxRows = rows[rows.length - 1];
        int context = transformer.config().maxPositions();
        int start = Math.max(0, Math.min(prefix, context - maxRows));
        KvCache cache = budget.tryAllocate(start + maxRows);
        if (cache == null) {
            throw new IllegalStateException("KV cache budget too small to measure pass cost");
        }
        try {
            SplittableRandom random = new SplittableRandom(42);
            int vocab = transformer.config().vocabSize();
            PassBatch batch = new PassBatch();
            PassOutput out = transformer.newOutput();
            for (int p = 0; p < start; p++) {
                batch.addCausal(cache, random.nextInt(vocab), p, p == start - 1);
            }
            if (start > 0) {
                transformer.forward(batch, out);
            }
            double[] seconds = new double[rows.length];
            for (int i = 0; i < rows.length; i++) {
                batch.clear();
                for (int r = 0; r < rows[i]; r++) {
                    batch.addCausal(cache, random.nextInt(vocab), start + r, true);
                }
                warmUp(transformer, batch, out);
                double[] times = new double[repeats];
                for (int rep = 0; rep < repeats; rep++) {
                    long t0 = System.nanoTime();
                    transformer.forward(batch, out);
                    times[rep] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(times);
                seconds[i] = times[repeats / 2];
            }
            return new PassCostCurve(rows, seconds);
        } finally {
            budget.release(cache);
        }
    }

    /** Runs the pass until the JIT has settled: at least twice, and up to 20 times within 0.3 s. */
    private static void warmUp(ForwardBackend transformer, PassBatch batch, PassOutput out) {
        long deadline = System.nanoTime() + 300_000_000L;
        for (int i = 0; i < 20 && (i < 2 || System.nanoTime() < deadline); i++) {
            transformer.forward(batch, out);
        }
    }
}
