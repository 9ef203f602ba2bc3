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
 * Whether to draft at all is not this estimate's call but measured throughput's ({@link DraftingRegime}): stretches
 * of drafted and of plain cycles, compared in tokens per second, so that where drafting does not pay {@code auto}
 * decodes plainly, and where it does, it drafts even when a cost model would have it otherwise. Nor is it the only
 * way a drafted stretch drafts: the estimate's trees and the top-guess chains of 1 to {@link #MAX_CHAIN} levels are
 * arms of an {@link ArmChoice}, picked by the same measurement. The estimate rests on pass and head costs timed at
 * start-up, which on the demo called a three-row pass 1.01x a one-row pass where decoding sees 1.15-1.3x; its trees
 * then took one level where {@code chain:2} won 7-10 %.
 */
public final class CostAwareTree implements TreeShape {

    /** Longest top-guess chain among the arms. */
    static final int MAX_CHAIN = 3;
    /** The arm that runs the estimate's trees; arm c > 0 runs {@code chain:c}. */
    private static final int ESTIMATE = 0;

    private final SpeculationCosts costs;
    private final DraftingRegime regime;
    private final int heads;
    private final int maxNodesPerSequence;
    private final int width;
    // The current stretch of one regime: its kind, cycles so far, and the measured cycles' times and yields.
    private boolean stretchDrafts;
    private int stretchCycles = DraftingRegime.STRETCH; // the first pass starts a stretch
    private final double[] cycleSeconds = new double[DraftingRegime.STRETCH];
    private final int[] cycleTokens = new int[DraftingRegime.STRETCH];
    private double chosenRate; // expected tokens per second of the levels chooseLevels chose
    private final ArmChoice arms;
    private final StaticTree[] chains; // chains[c]: the tree of arm c > 0
    private int arm; // of the current drafted stretch

    /** A tree that decides alone whether drafting pays. */
    public CostAwareTree(SpeculationCosts costs, int heads, int maxNodesPerSequence) {
        this(costs, new DraftingRegime(), heads, maxNodesPerSequence);
    }

    /** A tree that shares its measurements of whether drafting pays with the other decoders of its engine. */
    public CostAwareTree(SpeculationCosts costs, DraftingRegime regime, int heads, int maxNodesPerSequence) {
        this.costs = costs;
        this.regime = regime;
        this.heads = heads;
        this.maxNodesPerSequence = maxNodesPerSequence;
        this.width = Math.max(1, Math.min(8, maxNodesPerSequence - 1));
        this.chains = new StaticTree[1 + Math.min(MAX_CHAIN, Math.min(heads, maxNodesPerSequence - 1))];
        for (int c = 1; c < chains.length; c++) {
            chains[c] = StaticTree.chain(c);
        }
        this.arms = regime.draftedArms(chains.length);
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

    @Override
    public int levels(DraftState[] states, int[] maxDepth, int n) {
        if (stretchCycles == DraftingRegime.STRETCH) {
            int levels = chooseLevels(states, maxDepth, n);
            stretchDrafts = regime.nextStretchDrafts(chosenRate > n / costs.pass().cost(n));
            stretchCycles = 0;
            arm = arms.next();
            return !stretchDrafts ? 0 : arm == ESTIMATE ? levels : chains[arm].levels(states, maxDepth, n);
        }
        if (!stretchDrafts) {
            return 0; // inside a plain stretch there is nothing to decide
        }
        return arm == ESTIMATE ? chooseLevels(states, maxDepth, n) : chains[arm].levels(states, maxDepth, n);
    }

    /**
     * The number of head levels with the most expected tokens per second of pass and heads (that rate goes to
     * {@link #chosenRate}); at least one where any sequence may draft: whether to draft at all is the regime's call.
     */
    private int chooseLevels(DraftState[] states, int[] maxDepth, int n) {
        double expected = n;
        int rows = n;
        int bestLevels = 0;
        double bestRate = 0;
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
            double rate = expected / (costs.pass().cost(rows) + costs.heads(level, n));
            if (rate > bestRate) {
                bestRate = rate;
                bestLevels = level;
            }
        }
        chosenRate = bestRate;
        return bestLevels;
    }

    @Override
    public void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int maxDepth) {
        growAll(new DraftTree[] {tree}, new HeadCandidates[] {candidates}, new DraftState[] {state},
                new int[] {maxDepth}, 1);
    }

    @Override
    public void growAll(DraftTree[] trees, HeadCandidates[] candidates, DraftState[] states, int[] maxDepth, int n) {
        if (!anyDrafts(maxDepth, n)) {
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
        double bestRate = expected / costs.pass().cost(n);
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
            double rate = expected / costs.pass().cost(n + pops.size());
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

    /** Counts the cycle towards its stretch, and hands a finished stretch's measurement to the regime. */
    @Override
    public void observe(double seconds, int tokens) {
        if (stretchCycles >= DraftingRegime.STRETCH) {
            return; // no pass of this stretch was planned yet
        }
        int measured = stretchCycles++ - DraftingRegime.SETTLE;
        if (measured >= 0) {
            cycleSeconds[measured] = seconds;
            cycleTokens[measured] = tokens;
        }
        if (stretchCycles == DraftingRegime.STRETCH) {
            regime.stretchEnded(stretchDrafts, cycleSeconds, cycleTokens, measured + 1);
            if (stretchDrafts) {
                arms.ended(arm, DraftingRegime.tokensPerSecond(cycleSeconds, cycleTokens, measured + 1));
            }
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
