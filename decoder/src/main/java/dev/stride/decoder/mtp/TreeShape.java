package dev.stride.decoder.mtp;

/**
 * How a sequence's draft tree is grown from its head candidates: a fixed set of index paths
 * ({@link StaticTree}, including chains), or best-first expansion under a node budget ({@link DynamicTree}).
 */
public sealed interface TreeShape permits StaticTree, DynamicTree, CostAwareTree {

    /** Most nodes a tree may have, root included. */
    int maxNodes();

    /** Deepest level (number of heads used). */
    int maxDepth();

    /** Candidates needed per head: the widest rank used plus one. */
    int width();

    /** Candidates per head the trees of the pass being drafted use: by default {@link #width()}. */
    default int passWidth() {
        return width();
    }

    /**
     * Whether the trees of the pass being drafted are grown by the candidates' probabilities (then the heads'
     * softmax is computed), or from their ranks alone.
     */
    boolean weighsCandidates();

    /**
     * How many head levels to draft this pass (the heads run before any tree is grown): by default all the shape
     * can use, as deep as the deepest sequence may go.
     */
    default int levels(DraftState[] states, int[] maxDepth, int n) {
        int deepest = 0;
        for (int i = 0; i < n; i++) {
            deepest = Math.max(deepest, maxDepth[i]);
        }
        return Math.min(maxDepth(), deepest);
    }

    /** Adds children under the tree's root, never deeper than {@code maxDepth}. */
    void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int maxDepth);

    /** Grows the trees of all sequences in a pass; shapes that share a budget across sequences override this. */
    default void growAll(DraftTree[] trees, HeadCandidates[] candidates, DraftState[] states, int[] maxDepth, int n) {
        for (int i = 0; i < n; i++) {
            grow(trees[i], candidates[i], states[i], Math.min(maxDepth[i], maxDepth()));
        }
    }

    /** One sequence's tree last grown was verified: {@code acceptedDepth} of its {@code treeDepth} levels. */
    default void verified(int acceptedDepth, int treeDepth) {
    }

    /**
     * How long the cycle of the trees last grown took (their drafting, verification pass and bookkeeping) and how
     * many tokens it yielded. Only shapes that decide by measured throughput use it.
     */
    default void observe(double seconds, int tokens) {
    }

    /** A shape's readable name, e.g. "chain:4", "nodes:16", "static:26". */
    String describe();
}
