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
     * @param repeats least timed passes per row count (the median is kept), after warming up
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
            PassBatch prefixBatch = new PassBatch();
            PassOutput out = transformer.newOutput();
            for (int p = 0; p < start; p++) {
                prefixBatch.addCausal(cache, random.nextInt(vocab), p, p == start - 1);
            }
            if (start > 0) {
                transformer.forward(prefixBatch, out);
            }
            Runnable[] passes = new Runnable[rows.length];
            for (int i = 0; i < rows.length; i++) {
                PassBatch rowsBatch = new PassBatch();
                for (int r = 0; r < rows[i]; r++) {
                    rowsBatch.addCausal(cache, random.nextInt(vocab), start + r, true);
                }
                passes[i] = () -> transformer.forward(rowsBatch, out);
            }
            return new PassCostCurve(rows, time(passes, repeats));
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
        Runnable[] runs = new Runnable[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i];
            runs[i] = () -> heads.forwardHead(ops, 0, hidden, n, x, linear, logits);
        }
        return new PassCostCurve(rows, time(runs, repeats));
    }

    /** Seconds per run of each work, once all of them are warm. */
    private static double[] time(Runnable[] works, int repeats) {
        warmUp(works);
        double[] seconds = new double[works.length];
        for (int i = 0; i < works.length; i++) {
            seconds[i] = medianSeconds(works[i], repeats);
        }
        return seconds;
    }

    /** Median of at least {@code repeats} timed runs, more while they take under 0.1 s in all. */
    private static double medianSeconds(Runnable work, int repeats) {
        double[] times = new double[Math.max(64, repeats)];
        int count = 0;
        double total = 0;
        while (count < repeats || (count < times.length && total < 0.1)) {
            long t0 = System.nanoTime();
            work.run();
            times[count] = (System.nanoTime() - t0) / 1e9;
            total += times[count++];
        }
        Arrays.sort(times, 0, count);
        return times[count / 2];
    }

    /**
     * Runs every work in turn until the JIT has compiled them all: at least three rounds and one second. Counting
     * runs is not enough: a small model's pass takes microseconds, and its kernels are still being compiled after
     * thousands; all row counts warm together because they share kernels and each one's first runs are slow.
     */
    private static void warmUp(Runnable[] works) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        for (int round = 0; round < 3 || System.nanoTime() < deadline; round++) {
            for (Runnable work : works) {
                work.run();
            }
        }
    }
}
