package dev.stride.decoder.engine;

import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Times forward passes that carry n new tokens after a prefix, and head runs: the costs behind {@code --tree auto}. */
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
                Runnable pass = () -> transformer.forward(batch, out);
                warmUp(pass);
                seconds[i] = medianSeconds(pass, repeats);
            }
            return new PassCostCurve(rows, seconds);
        } finally {
            budget.release(cache);
        }
    }

    /** Times one prediction head (head 0; all have the same shape) on n hidden states for each n in rows. */
    public static PassCostCurve measureHead(MedusaHeads heads, TensorOps ops, int[] rows, int repeats) {
        int maxRows = rows[rows.length - 1];
        int h = heads.hiddenSize();
        SplittableRandom random = new SplittableRandom(43);
        float[] hidden = new float[maxRows * h];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        float[] x = new float[maxRows * h];
        float[] linear = new float[maxRows * h];
        float[] logits = new float[maxRows * heads.vocabSize()];
        double[] seconds = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i];
            Runnable head = () -> heads.forwardHead(ops, 0, hidden, n, x, linear, logits);
            warmUp(head);
            seconds[i] = medianSeconds(head, repeats);
        }
        return new PassCostCurve(rows, seconds);
    }

    private static double medianSeconds(Runnable work, int repeats) {
        double[] times = new double[repeats];
        for (int rep = 0; rep < repeats; rep++) {
            long t0 = System.nanoTime();
            work.run();
            times[rep] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(times);
        return times[repeats / 2];
    }

    /** Runs the work until the JIT has settled: at least twice, and up to 20 times within 0.3 s. */
    private static void warmUp(Runnable work) {
        long deadline = System.nanoTime() + 300_000_000L;
        for (int i = 0; i < 20 && (i < 2 || System.nanoTime() < deadline); i++) {
            work.run();
        }
    }
}
