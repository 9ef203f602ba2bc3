package dev.stride.decoder.mtp;

import java.util.PriorityQueue;

/**
 * Grows the most probable paths first up to a node budget. A path's score is the product over its levels of the
 * head's probability for that candidate, calibrated so that a head's top guess scores its observed acceptance
 * rate for this sequence. Scores only shrink along a path, so parents are always added before their children.
 */
public final class DynamicTree implements TreeShape {

    private final int nodes;
    private final int heads;
    private final int width;

    /**
     * @param nodes node budget, root included (>= 1)
     * @param heads heads available
     */
    public DynamicTree(int nodes, int heads) {
        if (nodes < 1) {
            throw new IllegalArgumentException("tree node budget must be >= 1, got " + nodes);
        }
        this.nodes = nodes;
        this.heads = heads;
        this.width = Math.max(1, Math.min(nodes - 1, 8));
    }

    private record Frontier(double score, int parent, int depth, int rank) {
    }

    @Override
    public int maxNodes() {
        return nodes;
    }

    @Override
    public int maxDepth() {
        return Math.min(heads, nodes - 1);
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public boolean weighsCandidates() {
        return true;
    }

    @Override
    public void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int depthLimit) {
        int limit = Math.min(depthLimit, maxDepth());
        if (limit == 0) {
            return;
        }
        PriorityQueue<Frontier> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.score, a.score));
        pushChildren(frontier, candidates, state, 0, 1.0, 1);
        while (tree.size() < nodes && !frontier.isEmpty()) {
            Frontier next = frontier.poll();
            int node = tree.addChild(next.parent, candidates.ids[next.depth - 1][next.rank]);
            if (next.depth < limit) {
                pushChildren(frontier, candidates, state, node, next.score, next.depth + 1);
            }
        }
    }

    private void pushChildren(PriorityQueue<Frontier> frontier, HeadCandidates candidates, DraftState state,
                              int parent, double parentScore, int depth) {
        for (int rank = 0; rank < width; rank++) {
            double p = candidates.calibratedProbability(depth - 1, rank, state);
            frontier.add(new Frontier(parentScore * p, parent, depth, rank));
        }
    }

    @Override
    public String describe() {
        return "nodes:" + nodes;
    }
}
