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
 * keeping the best prefix means speculation is only added where the estimate says it pays: a full batch on a
 * compute-bound device gets small trees, a lone sequence on a bandwidth-bound device gets large ones.
 * <p>
 * The heads themselves cost time too (each about one lm_head), and they run before the tree is known, so the
 * number of head levels is chosen first, from each sequence's observed chain acceptance: level L is drafted only
 * if the expected tokens of the top-1 chains up to L, per second of pass plus L head runs, beat fewer levels.
 * A sequence whose estimate says no drafting pays still verifies its top guess now and then
 * ({@link DraftState#dueForProbe}): otherwise an early unlucky stretch would silence it for good.
 * <p>
 * The measured costs are corrected by what the decoder's cycles really take ({@link #observe}, {@link
 * CostCorrection}), and probes are held to a small share of the time: where drafting does not pay, {@code auto}
 * decodes plainly.
 */
public final class CostAwareTree implements TreeShape {

    /** Least estimated gain in tokens per second for drafting to start. */
    static final double MIN_GAIN = 0.05;

    private final SpeculationCosts costs;
    private final int heads;
    private final int maxNodesPerSequence;
    private final int width;
    private final CostCorrection correction = new CostCorrection();
    // The plan of the last drafting, until the decoder reports how long its cycle took.
    private int planLevels;
    private boolean planProbe;
    private int planSequences;
    private int planRows;

    public CostAwareTree(SpeculationCosts costs, int heads, int maxNodesPerSequence) {
        this.costs = costs;
        this.heads = heads;
        this.maxNodesPerSequence = maxNodesPerSequence;
        this.width = Math.max(1, Math.min(8, maxNodesPerSequence - 1));
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
        planLevels = chooseLevels(states, maxDepth, n);
        planProbe = false;
        if (planLevels == 0 && correction.allowsProbe()) {
            for (int i = 0; i < n; i++) {
                if (dueForProbe(states[i], maxDepth[i])) {
                    planLevels = 1;
                    planProbe = true;
                    break;
                }
            }
        }
        return planLevels;
    }

    private int chooseLevels(DraftState[] states, int[] maxDepth, int n) {
        double expected = n;
        int rows = n;
        int bestLevels = 0;
        // Drafting must promise a clear gain, not one within the noise of the corrections.
        double bestRate = (1 + MIN_GAIN) * expected / (costs.pass().cost(rows) * correction.plainFactor());
        double draftedFactor = correction.draftedFactor();
        double[] chain = new double[n]; // probability that sequence i's top-1 chain is accepted to this level
        Arrays.fill(chain, 1.0);
        for (int level = 1; level <= heads; level++) {
            for (int i = 0; i < n; i++) {
                if (maxDepth[i] >= level) {
                    chain[i] *= states[i].acceptance(level - 1);
                    expected += chain[i];
                    rows++;
                }
            }
            double rate = expected / (predicted(n, rows, level) * draftedFactor);
            if (rate > bestRate) {
                bestRate = rate;
                bestLevels = level;
            }
        }
        return bestLevels;
    }

    private double predicted(int sequences, int rows, int levels) {
        return costs.pass().cost(rows) + costs.heads(levels, sequences);
    }

    @Override
    public void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int maxDepth) {
        growAll(new DraftTree[] {tree}, new HeadCandidates[] {candidates}, new DraftState[] {state},
                new int[] {maxDepth}, 1);
    }

    @Override
    public void growAll(DraftTree[] trees, HeadCandidates[] candidates, DraftState[] states, int[] maxDepth, int n) {
        planSequences = n;
        planRows = n;
        if (!anyDrafts(maxDepth, n)) {
            return; // plain decoding this pass: every tree stays its root
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
        planRows = 0;
        // A probe must verify something, or the sequence would stay silent and probe again on every pass.
        for (int s = 0; s < n; s++) {
            if (dueForProbe(states[s], maxDepth[s]) && trees[s].size() == 1) {
                trees[s].addChild(0, candidates[s].ids[0][0]);
            }
            planRows += trees[s].size();
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

    /** Corrects the costs with the time the cycle of the last {@link #growAll} really took. */
    @Override
    public void observe(double seconds) {
        if (planSequences == 0) {
            return;
        }
        correction.record(planLevels > 0, planProbe, predicted(planSequences, planRows, planLevels),
                predicted(planSequences, planSequences, 0), seconds);
        planSequences = 0;
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
