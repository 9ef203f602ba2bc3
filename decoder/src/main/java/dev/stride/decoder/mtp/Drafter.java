package dev.stride.decoder.mtp;

/** Proposes draft trees for sequences from their last hidden states. */
public interface Drafter {

    /** Most tokens one pass can yield with this drafter's trees (deepest tree depth + 1). */
    int maxTokensPerPass();

    /** Most nodes a tree can have, root included: the KV scratch each sequence reserves. */
    int maxTreeNodes();

    /** Per-sequence memory of the drafter, e.g. observed acceptance used to calibrate trees. */
    DraftState newState();

    /**
     * Drafts one tree per sequence.
     *
     * @param hidden final-norm hidden states, (n, hidden), row i for sequence i
     * @param maxDepth deepest useful level per sequence (remaining token budget); 0 means root only
     * @param states per-sequence drafter memory
     * @param trees output; each is reset to its root (the pending token) by the caller
     */
    void draft(float[] hidden, int n, int[] maxDepth, DraftState[] states, DraftTree[] trees);

    /** One sequence's tree of the last {@link #draft} was verified: {@code acceptedDepth} of its levels accepted. */
    default void verified(int acceptedDepth, int treeDepth) {
    }

    /**
     * How long the cycle of the last {@link #draft} took (the drafting itself plus the pass that verified its trees
     * and the bookkeeping after it) and the tokens it yielded. Reported only for passes that carried nothing else
     * (no prefill).
     */
    default void cycleTook(double seconds, int tokens) {
    }
}
