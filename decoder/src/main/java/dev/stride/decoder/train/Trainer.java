package dev.stride.decoder.train;

import dev.stride.decoder.compute.VectorOps;
import java.util.Locale;

/**
 * The training loop: random batches of training positions, loss and gradients, global-norm clipping, AdamW under
 * the warm-up + cosine schedule. Given the same corpus, settings and seed it produces the same weights bit for bit,
 * and everything that decides the next step (weights, moments, step, random state) can be checkpointed.
 */
public final class Trainer {

    /**
     * @param headDecay head k's loss weight is headDecay^k: near heads matter most, as every accepted path runs
     *                  through them
     */
    public record Settings(int steps, int batchSize, double learningRate, int warmupSteps, double weightDecay,
                           double maxGradNorm, double headDecay, long seed) {

        public Settings {
            if (steps <= 0 || batchSize <= 0) {
                throw new IllegalArgumentException("steps and batch size must be > 0, got " + steps + " and "
                        + batchSize);
            }
        }
    }

    /** Called after every step. */
    @FunctionalInterface
    public interface StepListener {
        void afterStep(Trainer trainer, HeadStats batchStats, double gradNorm, double learningRate);
    }

    private final Corpus corpus;
    private final Settings settings;
    private final HeadModel model;
    private final HeadModel grads;
    private final AdamW optimizer;
    private final LearningRateSchedule schedule;
    private final HeadPass pass;
    private final HeadBatch batch;
    private final double[] headWeights;
    private SplitMix64 random;
    private int step;

    public Trainer(VectorOps ops, Corpus corpus, HeadModel model, Settings settings) {
        if (corpus.trainPositions().length == 0) {
            throw new IllegalArgumentException("no training positions: the sequences are too short or all held out");
        }
        this.corpus = corpus;
        this.settings = settings;
        this.model = model;
        this.grads = HeadModel.zerosLike(model);
        this.optimizer = new AdamW(ops.pool(), model, settings.weightDecay());
        this.schedule = new LearningRateSchedule(settings.learningRate(), settings.warmupSteps(), settings.steps(), 0.1);
        this.pass = new HeadPass(ops, model.hidden(), model.vocab(), model.layers());
        this.batch = new HeadBatch(settings.batchSize(), model.hidden(), model.heads());
        this.headWeights = new double[model.heads()];
        for (int k = 0; k < headWeights.length; k++) {
            headWeights[k] = Math.pow(settings.headDecay(), k);
        }
        this.random = new SplitMix64(settings.seed());
    }

    public Settings settings() {
        return settings;
    }

    public HeadModel model() {
        return model;
    }

    AdamW optimizer() {
        return optimizer;
    }

    /** Steps done so far. */
    public int step() {
        return step;
    }

    long randomState() {
        return random.state();
    }

    /** Continues from a checkpoint; the weights and moments must already be loaded. */
    void restore(int step, long randomState) {
        this.step = step;
        this.random = new SplitMix64(randomState);
        model.refreshTransposes();
    }

    public double[] headWeights() {
        return headWeights.clone();
    }

    /** Runs the remaining steps. */
    public void run(StepListener listener) {
        while (step < settings.steps()) {
            int[] positions = corpus.trainPositions();
            for (int r = 0; r < settings.batchSize(); r++) {
                corpus.fill(batch, r, positions[random.nextInt(positions.length)]);
            }
            batch.size = settings.batchSize();
            HeadStats stats = pass.train(model, batch, headWeights, grads);
            double norm = GradientClipping.clip(grads, settings.maxGradNorm());
            if (!Double.isFinite(norm)) {
                // Clipping cannot bound it (NaN > max is false), and one such update makes every weight NaN.
                throw new Diverged(String.format(Locale.ROOT, "step %d of %d: the gradient norm is %s (loss %s):"
                        + " training diverged", step + 1, settings.steps(), norm, stats.objective(headWeights)));
            }
            double lr = schedule.at(step);
            optimizer.step(model, grads, lr, step + 1L);
            model.refreshTransposes();
            step++;
            listener.afterStep(this, stats, norm, lr);
        }
    }

    /**
     * A step whose gradient is NaN or infinite, thrown before anything of it is applied. The heads train in float32
     * without loss scaling, so this is no passing overflow to skip: the weights or the loss have already blown up
     * (most often a learning rate too high), and every later batch would start from them.
     */
    public static final class Diverged extends ArithmeticException {

        Diverged(String message) {
            super(message);
        }
    }

    /**
     * Accuracy of the current heads on some positions, how often whole chains of heads are right together, and the
     * ranks right together at each position along the greedy continuations among them (all positions when none is
     * greedy): what a tree is designed from.
     */
    public Evaluation evaluate(int[] positions) {
        HeadStats stats = new HeadStats(model.heads());
        AcceptedRanks all = new AcceptedRanks();
        AcceptedRanks greedy = new AcceptedRanks();
        int lastAll = -1;
        int lastGreedy = -1;
        long chainRows = 0;
        long chainDepth = 0;
        for (int from = 0; from < positions.length; from += settings.batchSize()) {
            int n = Math.min(settings.batchSize(), positions.length - from);
            for (int r = 0; r < n; r++) {
                corpus.fill(batch, r, positions[from + r]);
            }
            batch.size = n;
            stats.addAll(pass.evaluate(model, batch));
            for (int r = 0; r < n; r++) {
                int position = positions[from + r];
                int[] ranks = acceptedRanks(r);
                lastAll = addInRun(all, lastAll, position, ranks);
                if (corpus.onGreedyPath(position)) {
                    lastGreedy = addInRun(greedy, lastGreedy, position, ranks);
                }
                if (pass.rank(model.heads() - 1, r) < 0) {
                    continue; // the sequence ends before the last head's target
                }
                chainRows++;
                int depth = 0;
                while (depth < model.heads() && pass.rank(depth, r) == 0) {
                    depth++;
                }
                chainDepth += depth;
            }
        }
        boolean fromGreedy = greedy.positions() > 0;
        return new Evaluation(stats, chainRows == 0 ? 0 : (double) chainDepth / chainRows,
                fromGreedy ? greedy : all, fromGreedy);
    }

    /** Ranks of row r's targets for heads 0, 1, ... while each is among its head's top {@link HeadStats#RANKS}. */
    private int[] acceptedRanks(int r) {
        int depth = 0;
        while (depth < model.heads() && pass.rank(depth, r) >= 0 && pass.rank(depth, r) < HeadStats.RANKS) {
            depth++;
        }
        int[] ranks = new int[depth];
        for (int k = 0; k < depth; k++) {
            ranks[k] = pass.rank(k, r);
        }
        return ranks;
    }

    /** Adds a position's ranks, starting a new run unless it follows the last one in its sequence. */
    private int addInRun(AcceptedRanks runs, int last, int position, int[] ranks) {
        if (last < 0 || position != last + 1 || corpus.sequenceEnd(position) != corpus.sequenceEnd(last)) {
            runs.startSequence();
        }
        runs.add(ranks);
        return position;
    }

    /**
     * @param meanChainDepth over positions with a target for every head: mean number of leading heads whose top-1
     *                       guess is right, i.e. what a chain drafts correctly per pass
     * @param accepted the ranks right together along the greedy continuations, or along all when none is greedy
     * @param acceptedGreedy whether {@code accepted} comes from greedy continuations
     */
    public record Evaluation(HeadStats stats, double meanChainDepth, AcceptedRanks accepted, boolean acceptedGreedy) {

        /** 1 + sum over k of the product of top-1 accuracies of heads 0..k: a chain's yield if heads were independent. */
        public double independentChainTokensPerPass() {
            double expected = 1;
            double product = 1;
            for (int k = 0; k < stats.heads(); k++) {
                product *= stats.topAccuracy(k, 1);
                expected += product;
            }
            return expected;
        }
    }
}
