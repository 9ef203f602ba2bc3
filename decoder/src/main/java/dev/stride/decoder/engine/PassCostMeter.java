package dev.stride.decoder.engine;

import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.mtp.CostAwareTree;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.mtp.TreeSpecs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/** Times forward passes that carry n new tokens after a prefix, and head runs: the costs behind {@code --tree auto}. */
public final class PassCostMeter {

    /**
     * Every row count a small tree uses: the kernels' register blocks make cost a step function of rows (up to 4
     * rows in one sweep of the weights, 5-6 in one, 7-8 in two), which a line between 4 and 8 misses: the demo's
     * 5-row pass cost 1.9x a row where that line said 1.3x.
     */
    public static final int[] DEFAULT_ROWS = {1, 2, 3, 4, 5, 6, 8, 16, 32, 64};
    private static final int MAX_ROUNDS = 64;
    /** Timed rounds continue (up to MAX_ROUNDS) until this much time per work has passed. */
    private static final double MIN_SECONDS_PER_WORK = 0.1;
    private static final double STABLE_SECONDS = 1.0;
    private static final double MAX_WARM_UP_SECONDS = 60;
    /**
     * Longest an engine's warm-up before serving may take: past it the JIT goes on compiling while real work runs
     * (two executors warming side by side on two cores took their whole budget once).
     */
    private static final double MAX_SERVING_WARM_UP_SECONDS = 10;
    /** Works shorter than this are timed in the cache state decoding leaves: their weights may fit in cache. */
    private static final double CACHE_SENSITIVE_SECONDS = 0.02;

    private PassCostMeter() {
    }

    /**
     * @param rows ascending row counts starting at 1
     * @param prefix tokens already in the cache before the measured rows
     * @param repeats least timed rounds over all row counts (each count's median is kept), after warming up
     */
    public static PassCostCurve measure(ForwardBackend transformer, KvCacheBudget budget, int[] rows, int prefix,
                                        int repeats) {
        try (Passes passes = new Passes(transformer, budget, prefix, rows[rows.length - 1])) {
            Runnable[] works = new Runnable[rows.length];
            for (int i = 0; i < rows.length; i++) {
                works[i] = passes.of(rows[i]);
            }
            return new PassCostCurve(rows, time(works, works, repeats));
        }
    }

    /**
     * Times the heads on n hidden states for each n in rows: the first level alone and every level, giving the
     * first level's cost and each further level's (all levels' cost beyond the first, shared out). Each run
     * follows a one-row pass, as in decoding: heads timed back to back would find their weights in cache.
     */
    public static SpeculationCosts measureHeads(PassCostCurve pass, MedusaHeads heads, TensorOps ops, int[] rows,
                                                int repeats, ForwardBackend transformer, KvCacheBudget budget) {
        int maxRows = rows[rows.length - 1];
        float[] hidden = randomHidden(heads, maxRows);
        MedusaHeads.Scratch scratch = heads.newScratch(maxRows);
        int[] nextTokens = new int[maxRows]; // any token: its embedding costs the same
        int levels = heads.numHeads();
        Runnable[] runs = new Runnable[2 * rows.length];
        for (int i = 0; i < rows.length; i++) {
            int n = rows[i];
            runs[i] = () -> heads.forward(ops, 1, hidden, nextTokens, n, scratch, (k, logits, offset) -> { });
            runs[rows.length + i] = () -> heads.forward(ops, levels, hidden, nextTokens, n, scratch,
                    (k, logits, offset) -> { });
        }
        double[] seconds;
        try (Passes passes = new Passes(transformer, budget, Engine.COST_PREFIX, 1)) {
            Runnable[] before = new Runnable[runs.length];
            Arrays.fill(before, passes.of(1));
            seconds = time(runs, before, repeats);
        }
        double[] first = new double[rows.length];
        double[] next = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            first[i] = seconds[i];
            next[i] = levels == 1 ? first[i] : Math.max(0, (seconds[rows.length + i] - first[i]) / (levels - 1));
        }
        return new SpeculationCosts(pass, new PassCostCurve(rows, first), new PassCostCurve(rows, next));
    }

    /**
     * Runs passes of one to five and of sixteen rows (decode steps of batches that fill up and drain, and a prefill),
     * so that every register block of every layout's matmul kernels is compiled, and compiled knowing all of them: a
     * job whose batches first shrank mid-partition ran those blocks in the JIT's first tiers and deoptimised the
     * compiled kernels, and with three- and two-row passes left out (five rows became one six-row block), a job's
     * first three-row passes and its last two-row ones allocated their vectors (JFR: 270 and 115 MB in a second
     * each). With heads, also the drafting of full {@code auto} trees for one and four sequences, and the caller's
     * {@code decoding} works, until the JIT has compiled their code (see {@link #warmUp(Runnable[], double)}), for at
     * most {@link #MAX_SERVING_WARM_UP_SECONDS}. Decoding's own drafting cannot be relied on to compile it: where
     * {@code auto} drafted only now and then, its candidate selection was still in the JIT's first tiers late in a
     * benchmark (160 µs instead of 8), and the drafted cycles it timed said that drafting never pays.
     */
    public static void warmUp(ForwardBackend transformer, KvCacheBudget budget, MedusaHeads heads, TensorOps ops,
                              List<Runnable> decoding) {
        try (Passes passes = new Passes(transformer, budget, Engine.COST_PREFIX, 16)) {
            List<Runnable> works = new ArrayList<>();
            for (int rows : new int[] {1, 2, 3, 4, 5, 16}) {
                works.add(passes.of(rows));
            }
            if (heads != null) {
                works.add(drafting(heads, ops, 1));
                works.add(drafting(heads, ops, 4));
            }
            works.addAll(decoding);
            warmUp(works.toArray(Runnable[]::new), MAX_SERVING_WARM_UP_SECONDS);
        }
    }

    /**
     * Drafts {@code auto} trees for n sequences from random hidden states: every head level, candidate selection
     * and tree growth. Passes and heads are free to this shape, so it always grows its largest trees.
     */
    private static Runnable drafting(MedusaHeads heads, TensorOps ops, int n) {
        PassCostCurve flat = new PassCostCurve(new int[] {1, TreeSpecs.AUTO_MAX_NODES}, new double[] {1, 1});
        SpeculationCosts free = SpeculationCosts.passOnly(flat);
        MedusaDrafter drafter = new MedusaDrafter(heads,
                CostAwareTree.estimateOnly(free, heads.numHeads(), TreeSpecs.AUTO_MAX_NODES), ops);
        float[] hidden = randomHidden(heads, n);
        int[] maxDepth = new int[n];
        Arrays.fill(maxDepth, heads.numHeads());
        DraftState[] states = new DraftState[n];
        DraftTree[] trees = new DraftTree[n];
        for (int i = 0; i < n; i++) {
            states[i] = drafter.newState();
            trees[i] = new DraftTree();
        }
        return () -> {
            for (DraftTree tree : trees) {
                tree.reset(0);
            }
            drafter.draft(hidden, n, maxDepth, states, trees);
        };
    }

    private static float[] randomHidden(MedusaHeads heads, int rows) {
        SplittableRandom random = new SplittableRandom(43);
        float[] hidden = new float[rows * heads.hiddenSize()];
        for (int i = 0; i < hidden.length; i++) {
            hidden[i] = (float) random.nextGaussian();
        }
        return hidden;
    }

    /** Passes of random tokens after a random prefix, in one KV cache released on close. */
    private static final class Passes implements AutoCloseable {
        private final ForwardBackend transformer;
        private final KvCacheBudget budget;
        private final KvCache cache;
        private final int start;
        private final PassOutput out;
        private final SplittableRandom random = new SplittableRandom(42);

        Passes(ForwardBackend transformer, KvCacheBudget budget, int prefix, int maxRows) {
            this.transformer = transformer;
            this.budget = budget;
            this.start = Math.max(0, Math.min(prefix, transformer.config().maxPositions() - maxRows));
            int slots = start + maxRows;
            this.cache = budget.tryAllocate(slots);
            if (cache == null) {
                throw new IllegalStateException(noRoom(budget, slots));
            }
            try {
                this.out = transformer.newOutput();
                PassBatch prefixBatch = new PassBatch();
                for (int p = 0; p < start; p++) {
                    prefixBatch.addCausal(cache, randomToken(), p, p == start - 1);
                }
                if (start > 0) {
                    transformer.forward(prefixBatch, out);
                }
            } catch (RuntimeException e) {
                budget.release(cache); // or its bytes stay used, and a request needing them waits forever
                throw e;
            }
        }

        /**
         * Why no cache of {@code slots} slots was had: a budget too small, or one that decoders of the engine hold
         * (an {@code auto} decoder made while others decode measures then, unless the engine measured before).
         */
        private static String noRoom(KvCacheBudget budget, int slots) {
            String needs = "measuring pass cost needs " + budget.bytesFor(slots) + " bytes of KV cache";
            if (!budget.fitsAlone(slots)) {
                return "KV cache budget too small: " + needs + "; the budget is " + budget.budgetBytes() + " bytes";
            }
            return "KV cache budget in use: " + needs + ", and decoders of the engine hold " + budget.usedBytes()
                    + " of its " + budget.budgetBytes() + " bytes (and wait in line for " + budget.keptBytes()
                    + " more); measure before decoding (Engine.warmUp or Engine.speculationCosts)";
        }

        /** A pass of n rows after the prefix, each asking for logits. */
        Runnable of(int n) {
            PassBatch batch = new PassBatch();
            for (int r = 0; r < n; r++) {
                batch.addCausal(cache, randomToken(), start + r, true);
            }
            return () -> transformer.forward(batch, out);
        }

        private int randomToken() {
            return random.nextInt(transformer.config().vocabSize());
        }

        @Override
        public void close() {
            budget.release(cache);
        }
    }

    /**
     * Seconds per run of each work, once all of them are warm: the median of rounds that run every work once, so
     * that a machine growing busier or idler mid-measurement shifts all row counts alike, not their ratios. Each
     * timed run follows an untimed run of its {@code before}, which sets the caches as decoding would leave them
     * (a one-row pass timed right after a sixty-four-row one came out a third slower than in decoding); works
     * longer than {@link #CACHE_SENSITIVE_SECONDS} stream their weights from memory anyway and skip it.
     */
    private static double[] time(Runnable[] works, Runnable[] before, int repeats) {
        warmUp(works, MAX_WARM_UP_SECONDS);
        double[][] samples = new double[works.length][MAX_ROUNDS];
        long deadline = System.nanoTime() + (long) (MIN_SECONDS_PER_WORK * works.length * 1e9);
        int rounds = 0;
        while (rounds < repeats || (rounds < MAX_ROUNDS && System.nanoTime() < deadline)) {
            for (int i = 0; i < works.length; i++) {
                if (rounds == 0 || samples[i][rounds - 1] < CACHE_SENSITIVE_SECONDS) {
                    before[i].run();
                }
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
     * {@link #STABLE_SECONDS} (and three rounds), at most {@code maxSeconds}. A fixed count or time is not
     * enough: a small model's pass takes microseconds and its kernels are still being compiled after thousands,
     * and on a busy machine the compiler threads wait their turn too; timed while interpreted, a one-row pass
     * came out slower than sixty-four.
     */
    private static void warmUp(Runnable[] works, double maxSeconds) {
        long start = System.nanoTime();
        long lastImproved = start;
        double best = Double.MAX_VALUE;
        int roundsSinceImproved = 0;
        while (roundsSinceImproved < 3 || System.nanoTime() - lastImproved < STABLE_SECONDS * 1e9) {
            if (System.nanoTime() - start > maxSeconds * 1e9) {
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
