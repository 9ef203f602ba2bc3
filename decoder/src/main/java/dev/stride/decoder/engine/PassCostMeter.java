package dev.stride.decoder.engine;

import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Times forward passes that carry n new tokens after a prefix, and head runs: the costs behind {@code --tree auto}. */
public final class PassCostMeter {

    public static final int[] DEFAULT_ROWS = {1, 2, 4, 8, 16, 32, 64};
    private static final int MAX_ROUNDS = 64;
    /** Timed rounds continue (up to MAX_ROUNDS) until this much time per work has passed. */
    private static final double MIN_SECONDS_PER_WORK = 0.1;
    private static final double STABLE_SECONDS = 1.0;
    private static final double MAX_WARM_UP_SECONDS = 60;

    private PassCostMeter() {
    }

    /**
     * @param rows ascending row counts starting at 1
     * @param prefix tokens already in the cache before the measured rows
     * @param repeats least timed rounds over all row counts (each count's median is kept), after warming up
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

    /**
     * Times the heads on n hidden states for each n in rows: the first level alone and every level, giving the
     * first level's cost and each further level's (all levels' cost beyond the first, shared out).
     */
    public static SpeculationCosts measureHeads(PassCostCurve pass, MedusaHeads heads, TensorOps ops, int[] rows,
                                                int repeats) {
        int maxRows = rows[rows.length - 1];
        SplittableRandom random = new SplittableRandom(43);
        float[] hidden = new float[maxRows * heads.hiddenSize()];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        MedusaHeads.Scratch scratch = heads.newScratch(maxRows);
        int levels = heads.numHeads();
        Runnable[] runs = new Runnable[2 * rows.length];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i];
            runs[i] = () -> heads.forward(ops, 1, hidden, n, scratch, (k, logits, offset) -> { });
            runs[rows.length + i] = () -> heads.forward(ops, levels, hidden, n, scratch, (k, logits, offset) -> { });
        }
        double[] seconds = time(runs, repeats);
        double[] first = new double[rows.length];
        double[] next = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            first[i] = seconds[i];
            next[i] = levels == 1 ? first[i] : Math.max(0, (seconds[rows.length + i] - first[i]) / (levels - 1));
        }
        return new SpeculationCosts(pass, new PassCostCurve(rows, first), new PassCostCurve(rows, next));
    }

    /**
     * Seconds per run of each work, once all of them are warm: the median of rounds that run every work once, so
     * that a machine growing busier or idler mid-measurement shifts all row counts alike, not their ratios.
     */
    private static double[] time(Runnable[] works, int repeats) {
        warmUp(works);
        double[][] samples = new double[works.length][MAX_ROUNDS];
        long deadline = System.nanoTime() + (long) (MIN_SECONDS_PER_WORK * works.length * 1e9);
        int rounds = 0;
        while (rounds < repeats || (rounds < MAX_ROUNDS && System.nanoTime() < deadline)) {
            for (int i = 0; i < works.length; i++) {
                samples[i][rounds] = secondsOf(works[i]);
            }
            rounds++;
        }
        double[] medians = new double[works.length];
        for (int i = 0; i < works.length; i++) {
            Arrays.sort(samples[i], 0, rounds);
            medians[i] = samples[i][rounds / 2];
        }
        return medians;
    }

    private static double secondsOf(Runnable work) {
        long t0 = System.nanoTime();
        work.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Runs rounds of every work until the JIT has compiled them all: until the fastest round stops improving for
     * {@link #STABLE_SECONDS} (and three rounds), at most {@link #MAX_WARM_UP_SECONDS}. A fixed count or time is not
     * enough: a small model's pass takes microseconds and its kernels are still being compiled after thousands,
     * and on a busy machine the compiler threads wait their turn too; timed while interpreted, a one-row pass
     * came out slower than sixty-four.
     */
    private static void warmUp(Runnable[] works) {
        long start = System.nanoTime();
        long lastImproved = start;
        double best = Double.MAX_VALUE;
        int roundsSinceImproved = 0;
        while (roundsSinceImproved < 3 || System.nanoTime() - lastImproved < STABLE_SECONDS * 1e9) {
            if (System.nanoTime() - start > MAX_WARM_UP_SECONDS * 1e9) {
                return;
            }
            double round = 0;
            for (Runnable work : works) {
                round += secondsOf(work);
            }
            if (round < 0.98 * best) {
                best = round;
                lastImproved = System.nanoTime();
                roundsSinceImproved = 0;
            } else {
                roundsSinceImproved++;
            }
        }
    }
}
