package dev.stride.decoder.mtp;

/**
 * Per-sequence acceptance record: how often each head's guess was reached and accepted (CostAwareTree also keeps
 * one over all sequences' chain passes). Trees are calibrated from it, per sequence (how many head levels run is
 * still decided for the whole pass). It also schedules probes for a sequence whose trees stopped paying: one top
 * guess after {@link #FIRST_PROBE} silent passes, the wait doubling (up to {@link #LAST_PROBE}) while probes keep
 * being rejected and starting over once a guess is accepted, so that a sequence in a hard stretch can come back
 * without probes costing much where drafting never pays.
 */
public final class DraftState {

    static final int FIRST_PROBE = 16;
    static final int LAST_PROBE = 512;

    private final double[] reached;   // passes where the path reached depth k (head k's level)
    private final double[] accepted;  // passes where head k's level was accepted
    private int passesWithoutDraft;    // consecutive passes verified with the root alone
    private int probeAfter = FIRST_PROBE;

    public DraftState(int heads) {
        this.reached = new double[heads];
        this.accepted = new double[heads];
    }

    /** Records one verification: the path accepted {@code acceptedDepth} drafted levels out of {@code depth}. */
    public void record(int acceptedDepth, int treeDepth) {
        if (treeDepth == 0) {
            passesWithoutDraft++;
        } else {
            if (acceptedDepth > 0) {
                probeAfter = FIRST_PROBE;
            } else if (dueForProbe()) {
                probeAfter = Math.min(2 * probeAfter, LAST_PROBE);
            }
            passesWithoutDraft = 0;
        }
        for (int k = 0; k < reached.length && k < treeDepth && k <= acceptedDepth; k++) {
            reached[k]++;
            if (k < acceptedDepth) {
                accepted[k]++;
            }
        }
    }

    /** Whether the next pass should verify at least the top guess, to refresh the acceptance estimate. */
    public boolean dueForProbe() {
        return passesWithoutDraft >= probeAfter;
    }

    /** Acceptance rate of head k given its level was reached, with a weak prior of 1/2. */
    public double acceptance(int head) {
        return (accepted[head] + 1) / (reached[head] + 2);
    }
}
