package dev.stride.decoder.mtp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * {@code --tree auto}: grows all sequences' trees of a pass together, best-first by calibrated path probability,
 * and keeps the number of nodes that maximises expected tokens per second under the measured pass-cost curve.
 * A node's score is the probability that it lies on the accepted path, so the expected yield of a pass is the
 * number of sequences (each yields its bonus token) plus the sum of node scores. Starting from plain decoding and
 * keeping the best prefix means nodes are only added where the estimate says they pay: a full batch on a
 * compute-bound device gets small trees, a lone sequence on a bandwidth-bound device gets large ones.
 * <p>
 * The heads themselves cost time too (each about one lm_head), and they run before the tree is known, so the
 * number of head levels is chosen first, from each sequence's observed chain acceptance: the level whose expected
 * tokens of the top-1 chains, per second of pass plus head runs, are highest. A sequence whose trees get no nodes
 * still verifies its top guess now and then ({@link DraftState#dueForProbe}): otherwise an early unlucky stretch
 * would silence it for good.
 * <p>
 * Whether to draft at all is not this estimate's call but measured throughput's, nor is it the only way to draft:
 * plain decoding, the estimate's trees and the top-guess chains of 1 to {@link #MAX_CHAIN} levels are the arms of
 * the engine's {@link DraftingRegime}, which runs contests of two arms alternating in blocks of passes and keeps the
 * one that yields the most tokens per second. So where drafting does not pay {@code auto} decodes plainly, and where
 * it does, it drafts as the fastest way measures, even when a cost model would have it otherwise. One exception
 * saves contests that cannot be close: a way of drafting forfeits its contest against plain decoding when its
 * estimate falls short of plain decoding's by more than {@link #FORFEIT_BELOW} (demo, batch 8: a second row per
 * sequence costs 0.85 of a pass and a head level 0.1-0.2, so with acceptance 0.5-0.7 chain:1 estimates 0.75-0.85 of
 * plain decoding's rate; at batch 1 1.3-1.5). The estimate rests on pass and head costs timed at start-up, which
 * on the demo called a three-row pass 1.01x a one-row pass where decoding sees 1.15-1.3x; its trees then took one
 * level where {@code chain:2} won 7-10 %.
 * <p>
 * A contest's cycles are timed as they ran, but plain decoding and the chains are credited with the tokens they
 * yield on average rather than with what this cycle's text happened to accept: one token per sequence, and for
 * {@code chain:c} the expectation of the top guesses' acceptance, level by level, pooled over every chain pass of
 * the decoder. The text's luck (1 to 4 tokens a pass for chain:3) was most of a stretch's noise, so near-ties
 * (chain:1, chain:2 and chain:3 on the demo at batch 1, 1.26-1.38x plain) went to whichever arm was current; with
 * the expectation only the pass times differ. The estimate's trees, whose yield rests on calibrated candidate
 * probabilities, keep their realized tokens.
 * <p>
 * The estimate's trees and head levels are sized by the cost model corrected online ({@link CostCorrection}): every
 * timed cycle tells how far its rows' cost runs from the model's, and the cycles of plain decoding and the chains
 * teach what larger trees would cost.
 */
public final class CostAwareTree implements TreeShape {

    /** Longest top-guess chain among the arms. */
    public static final int MAX_CHAIN = 3;
    /** The arms: plain decoding, the estimate's trees, and arm c + 1 for {@code chain:c}. */
    static final int PLAIN = ArmChoice.PLAIN;
    static final int ESTIMATE = 1;
    /** The arms that challenge plain decoding: the estimate's trees and chain:1 (deeper chains only a drafting arm). */
    static final int ENTRY_ARMS = 2;
    /**
     * Share of plain decoding's estimated rate below which a way of drafting forfeits its contest against it: the
     * estimate errs by 10-30 % (pass costs timed at start-up, acceptance from a prior until a sequence has drafted),
     * so only ways clearly behind forfeit; the rest are measured.
     */
    static final double FORFEIT_BELOW = 0.9;

    private final SpeculationCosts costs;
    private final int heads;
    private final int maxNodesPerSequence;
    private final int width;
    private final ArmChoice arms;
    private final StaticTree[] chains; // chains[arm] for the chain arms
    // The current stretch: its plan, cycles so far, and the measured cycles of its current arm and its challenger.
    private ArmChoice.Plan plan;
    private int stretchCycles = DraftingRegime.STRETCH; // the first pass starts a stretch
    private final Cycles currentCycles = new Cycles();
    private final Cycles challengerCycles = new Cycles();
    private int arm; // of the current pass
    /** The top guesses' acceptance per level, pooled over the chain arms' passes of all sequences. */
    private final DraftState chainAcceptance;
    /** Expected tokens of the current cycle, or NaN where its realized tokens count (the estimate's trees). */
    private double cycleYield = Double.NaN;
    /** The current cycle's sequences, head levels and pass rows, for the cost correction. */
    private int cycleSequences;
    private int cycleLevels;
    private int cycleRows;
    private final CostCorrection correction = new CostCorrection();

    /** A tree that measures alone which way of decoding pays. */
    public CostAwareTree(SpeculationCosts costs, int heads, int maxNodesPerSequence) {
        this(costs, new DraftingRegime(), heads, maxNodesPerSequence);
    }

    /** A tree that shares its measurements of which way of decoding pays with the other decoders of its engine. */
    public CostAwareTree(SpeculationCosts costs, DraftingRegime regime, int heads, int maxNodesPerSequence) {
        this.costs = costs;
        this.heads = heads;
        this.maxNodesPerSequence = maxNodesPerSequence;
        this.width = Math.max(1, Math.min(8, maxNodesPerSequence - 1));
        int longestChain = Math.min(MAX_CHAIN, Math.min(heads, maxNodesPerSequence - 1));
        this.chains = new StaticTree[ESTIMATE + 1 + longestChain];
        for (int c = 1; c <= longestChain; c++) {
            chains[ESTIMATE + c] = StaticTree.chain(c);
        }
        this.arms = regime.arms(chains.length);
        this.arm = arms.next().current();
        this.chainAcceptance = new DraftState(heads);
    }

    /**
     * {@code auto} held to the cost estimate's trees, as if they had won every contest: for warming up their code
     * and for tests (it never observes a cycle, so no contest starts).
     */
    public static CostAwareTree estimateOnly(SpeculationCosts costs, int heads, int maxNodesPerSequence) {
        return new CostAwareTree(costs, new DraftingRegime(ESTIMATE), heads, maxNodesPerSequence);
    }

    private record Candidate(double score, int sequence, int parentPop, int depth, int rank) {
    }

    @Override
    public int maxNodes() {
        return maxNodesPerSequence;
    }

    @Override
    public int maxDepth() {
        return heads;
    }

    @Override
    public int width() {
        return width;
    }

    /** The estimate's trees use every candidate; a chain arm only the top one of each level. */
    @Override
    public int passWidth() {
        return arm == ESTIMATE ? width : arm == PLAIN ? 0 : chains[arm].width();
    }

    /** Only the estimate's trees (and their probes) weigh candidates; the chain arms use ranks. */
    @Override
    public boolean weighsCandidates() {
        return arm == ESTIMATE;
    }

    @Override
    public int levels(DraftState[] states, int[] maxDepth, int n) {
        if (stretchCycles == DraftingRegime.STRETCH) {
            plan = arms.next();
            if (plan.current() == PLAIN && plan.contest()
                    && estimatedRate(plan.challenger(), states, maxDepth, n) < FORFEIT_BELOW * plainRate(n)) {
                arms.forfeit(plan);
                plan = new ArmChoice.Plan(PLAIN, ArmChoice.NONE);
            }
            stretchCycles = 0;
            currentCycles.clear();
            challengerCycles.clear();
        }
        arm = plan.armOf(stretchCycles);
        cycleYield = arm == ESTIMATE ? Double.NaN
                : expectedChainTokens(arm == PLAIN ? 0 : arm - ESTIMATE, maxDepth, n);
        cycleSequences = n;
        cycleLevels = arm == PLAIN ? 0 : arm == ESTIMATE ? chooseLevels(states, maxDepth, n)
                : chains[arm].levels(states, maxDepth, n);
        return cycleLevels;
    }

    /**
     * Tokens that top-guess chains of {@code length} levels yield on average for the n sequences: each its token,
     * plus the chance of reaching each level it may draft, from the pooled acceptance.
     */
    private double expectedChainTokens(int length, int[] maxDepth, int n) {
        double expected = n;
        for (int i = 0; i < n; i++) {
            double reached = 1;
            for (int level = 1; level <= Math.min(length, maxDepth[i]); level++) {
                reached *= chainAcceptance.acceptance(level - 1);
                expected += reached;
            }
        }
        return expected;
    }

    /** Chain passes teach the pooled acceptance; the estimate's wider trees would overstate a top guess's. */
    @Override
    public void verified(int acceptedDepth, int treeDepth) {
        if (arm > ESTIMATE) {
            chainAcceptance.record(acceptedDepth, treeDepth);
        }
    }

    /**
     * The number of head levels with the most expected tokens per second of pass and heads; at least one where any
     * sequence may draft: whether to draft at all is the regime's call.
     */
    private int chooseLevels(DraftState[] states, int[] maxDepth, int n) {
        return bestLevels(chainRates(states, maxDepth, n, true));
    }

    /**
     * The estimated tokens per second of a drafting arm: its chain's, or the estimate's best level's. By the start-up
     * model alone: a forfeit is never measured, so a correction learnt in a slow spell must not silence a way of
     * drafting for good.
     */
    private double estimatedRate(int arm, DraftState[] states, int[] maxDepth, int n) {
        double[] rates = chainRates(states, maxDepth, n, false);
        return rates[arm == ESTIMATE ? bestLevels(rates) : Math.min(arm - ESTIMATE, heads)];
    }

    /** The first number of levels with the highest of {@link #chainRates}; 0 where none is above 0. */
    private static int bestLevels(double[] rates) {
        int best = 0;
        for (int level = 1; level < rates.length; level++) {
            if (rates[level] > rates[best]) {
                best = level;
            }
        }
        return best;
    }

    private double plainRate(int n) {
        return n / modelCost(n, 0, n);
    }

    /** A pass of {@code rows} rows after {@code levels} head levels on n hidden states, as the start-up model has it. */
    private double modelCost(int rows, int levels, int n) {
        return costs.pass().cost(rows) + costs.heads(levels, n);
    }

    /** The same, corrected by the cycles decoding timed. */
    private double correctedCost(int rows, int levels, int n) {
        return modelCost(rows, levels, n) * correction.ratio(rows);
    }

    /**
     * Expected tokens per second of pass and heads of the top-1 chains of each number of head levels (index 1 to
     * heads; 0 at index 0 and where no sequence may draft that deep), from each sequence's observed acceptance;
     * with the cost model {@code corrected} by the cycles decoding timed, or as it is.
     */
    private double[] chainRates(DraftState[] states, int[] maxDepth, int n, boolean corrected) {
        double[] rates = new double[heads + 1];
        double expected = n;
        int rows = n;
        double[] chain = new double[n]; // probability that sequence i's top-1 chain is accepted to this level
        Arrays.fill(chain, 1.0);
        for (int level = 1; level <= heads; level++) {
            int before = rows;
            for (int i = 0; i < n; i++) {
                if (maxDepth[i] >= level) {
                    chain[i] *= states[i].acceptance(level - 1);
                    expected += chain[i];
                    rows++;
                }
            }
            if (rows == before) {
                break; // no sequence may draft this deep
            }
            rates[level] = expected / (corrected ? correctedCost(rows, level, n) : modelCost(rows, level, n));
        }
        return rates;
    }

    @Override
    public void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int maxDepth) {
        growAll(new DraftTree[] {tree}, new HeadCandidates[] {candidates}, new DraftState[] {state},
                new int[] {maxDepth}, 1);
    }

    @Override
    public void growAll(DraftTree[] trees, HeadCandidates[] candidates, DraftState[] states, int[] maxDepth, int n) {
        growTrees(trees, candidates, states, maxDepth, n);
        cycleRows = 0;
        for (int s = 0; s < n; s++) {
            cycleRows += trees[s].size();
        }
    }

    private void growTrees(DraftTree[] trees, HeadCandidates[] candidates, DraftState[] states, int[] maxDepth,
                           int n) {
        if (arm == PLAIN || !anyDrafts(maxDepth, n)) {
            return; // plain decoding this pass: every tree stays its root
        }
        if (arm != ESTIMATE) {
            chains[arm].growAll(trees, candidates, states, maxDepth, n);
            return;
        }
        PriorityQueue<Candidate> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.score, a.score));
        for (int s = 0; s < n; s++) {
            if (maxDepth[s] > 0) {
                push(frontier, candidates[s], states[s], s, -1, 1.0, 1);
            }
        }
        List<Candidate> pops = new ArrayList<>();
        int[] nodes = new int[n];
        Arrays.fill(nodes, 1);
        double expected = n;
        double bestRate = expected / correctedCost(n, 0, n);
        int bestCount = 0;
        int cap = n * (maxNodesPerSequence - 1);
        while (!frontier.isEmpty() && pops.size() < cap) {
            Candidate next = frontier.poll();
            if (nodes[next.sequence] >= maxNodesPerSequence) {
                continue;
            }
            nodes[next.sequence]++;
            pops.add(next);
            expected += next.score;
            double rate = expected / correctedCost(n + pops.size(), 0, n);
            if (rate > bestRate) {
                bestRate = rate;
                bestCount = pops.size();
            }
            if (next.depth < Math.min(heads, maxDepth[next.sequence])) {
                push(frontier, candidates[next.sequence], states[next.sequence], next.sequence, pops.size() - 1,
                        next.score, next.depth + 1);
            }
        }
        int[] treeNode = new int[bestCount];
        for (int i = 0; i < bestCount; i++) {
            Candidate c = pops.get(i);
            int parent = c.parentPop < 0 ? 0 : treeNode[c.parentPop];
            treeNode[i] = trees[c.sequence].addChild(parent, candidates[c.sequence].ids[c.depth - 1][c.rank]);
        }
        // A probe must verify something, or the sequence would stay silent and probe again on every pass.
        for (int s = 0; s < n; s++) {
            if (dueForProbe(states[s], maxDepth[s]) && trees[s].size() == 1) {
                trees[s].addChild(0, candidates[s].ids[0][0]);
            }
        }
    }

    /** Whether any sequence may draft this pass; a loop, not a stream, as it runs on every decode step. */
    private static boolean anyDrafts(int[] maxDepth, int n) {
        for (int s = 0; s < n; s++) {
            if (maxDepth[s] > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Corrects the cost model by the cycle, counts it towards its stretch, and hands a finished stretch's
     * measurements to the regime.
     */
    @Override
    public void observe(double seconds, int tokens) {
        correction.observe(cycleRows, seconds, modelCost(cycleRows, cycleLevels, cycleSequences));
        if (stretchCycles >= DraftingRegime.STRETCH) {
            return; // no pass of this stretch was planned yet
        }
        if (plan.measures(stretchCycles++)) {
            (arm == plan.current() ? currentCycles : challengerCycles)
                    .add(seconds, Double.isNaN(cycleYield) ? tokens : cycleYield);
        }
        if (stretchCycles == DraftingRegime.STRETCH) {
            arms.ended(plan, currentCycles.tally(), challengerCycles.tally());
        }
    }

    /** Measured cycles of a stretch: their times and yields. */
    private static final class Cycles {
        final double[] seconds = new double[DraftingRegime.STRETCH];
        final double[] tokens = new double[DraftingRegime.STRETCH];
        int count;

        void add(double cycleSeconds, double cycleTokens) {
            seconds[count] = cycleSeconds;
            tokens[count++] = cycleTokens;
        }

        void clear() {
            count = 0;
        }

        RateTally tally() {
            return RateTally.of(seconds, tokens, count);
        }
    }

    private static boolean dueForProbe(DraftState state, int maxDepth) {
        return maxDepth > 0 && state.dueForProbe();
    }

    private void push(PriorityQueue<Candidate> frontier, HeadCandidates candidates, DraftState state, int sequence,
                      int parentPop, double parentScore, int depth) {
        for (int rank = 0; rank < width; rank++) {
            double p = candidates.calibratedProbability(depth - 1, rank, state);
            frontier.add(new Candidate(parentScore * p, sequence, parentPop, depth, rank));
        }
    }

    @Override
    public String describe() {
        return "auto";
    }
}
