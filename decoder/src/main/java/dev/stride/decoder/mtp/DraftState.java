package dev.stride.decoder.mtp;

/**
 * Per-sequence acceptance record: how often each head's guess was reached and accepted. Trees are calibrated from
 * it; keeping it per sequence keeps a sequence's trees (and stats) independent of its batch neighbours.
 */
public final class DraftState {

    private final double[] reached;   // passes where the path reached depth k (head k's level)
    private final double[] accepted;  // passes where head k's level was accepted
    private int passesWithoutDraft;    // consecutive passes verified with the root alone

    public DraftState(int heads) {
        this.reached = new double[heads];
        this.accepted = new double[heads];
    }

    /** Records one verification: the path accepted {@code acceptedDepth} drafted levels out of {@code depth}. */
    public void record(int acceptedDepth, int treeDepth) {
        passesWithoutDraft = treeDepth == 0 ? passesWithoutDraft + 1 : 0;
        for (int k = 0; k < reached.length && k < treeDepth && k <= acceptedDepth; k++) {
            reached[k]++;
            if (k < acceptedDepth) {
                accepted[k]++;
            }
        }
    }

    /** Consecutive passes, up to the last recorded one, that drafted nothing. */
    public int passesWithoutDraft() {
        return passesWithoutDraft;
    }

    /** Acceptance rate of head k given its level was reached, with a weak prior of 1/2. */
    public double acceptance(int head) {
        return (accepted[head] + 1) / (reached[head] + 2);
    }
}
