package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * What decode cycles really cost against what {@link SpeculationCosts} predicted, learned while the decoder runs.
 * A cycle is the drafting at the end of one step plus the next pass and its verification. The decoder's own
 * bookkeeping (copying hidden states, choosing a token at every node, moving accepted KV slots), a machine busier
 * or idler than when the costs were measured, and a cost curve measured off the real operating point all show up
 * as one factor per kind of cycle: observed time over predicted, for cycles without heads and for drafted ones.
 * <p>
 * It also keeps probes (drafts the estimate did not ask for, which refresh acceptance) under {@link #PROBE_SHARE}
 * of the time, so that where drafting never pays {@code --tree auto} costs at most that share over plain decoding.
 */
final class CostCorrection {

    /** Most estimated share of decoding time that probes may add. */
    static final double PROBE_SHARE = 0.01;
    /** Recent cycles of each kind whose median is the factor. */
    static final int WINDOW = 31;

    private final Factor plain = new Factor();
    private final Factor drafted = new Factor();
    private double seconds;       // all observed cycles
    private double probeSeconds;  // estimated extra time of probe cycles over plain ones

    /**
     * Records a cycle that took {@code observed} seconds where {@code predicted} were expected; {@code plainPredicted}
     * is what the same sequences would have been expected to take without drafting.
     */
    void record(boolean draftedCycle, boolean probe, double predicted, double plainPredicted, double observed) {
        if (!(predicted > 0) || !(observed > 0)) {
            return; // an uncalibrated curve (a test's free heads) or a clock that did not move
        }
        (draftedCycle ? drafted : plain).add(observed / predicted);
        seconds += observed;
        if (probe) {
            probeSeconds += Math.max(0, predicted * draftedFactor() - plainPredicted * plainFactor());
        }
    }

    /** Observed over predicted time of cycles that ran no heads; 1 until one has been seen. */
    double plainFactor() {
        return plain.valueOr(1);
    }

    /** The same for drafted cycles; the plain factor until one has been seen. */
    double draftedFactor() {
        return drafted.valueOr(plainFactor());
    }

    /** Whether a probe now keeps the estimated probe time within {@link #PROBE_SHARE} of all time. */
    boolean allowsProbe() {
        return probeSeconds <= PROBE_SHARE * seconds;
    }

    /**
     * The median of the last {@link #WINDOW} ratios. On a shared machine single cycles stall (a preempted thread,
     * a GC, a neighbour's burst) and whole stretches run slower: a mean, even a clipped one, followed each such
     * stretch and made plain cycles look dearer than drafted ones measured before it, so {@code auto} drafted where
     * it lost. A median moves only once most recent cycles agree.
     */
    private static final class Factor {
        private final double[] recent = new double[WINDOW];
        private final double[] sorted = new double[WINDOW];
        private int count;
        private double median;

        void add(double ratio) {
            recent[count++ % WINDOW] = ratio;
            int n = Math.min(count, WINDOW);
            System.arraycopy(recent, 0, sorted, 0, n);
            Arrays.sort(sorted, 0, n);
            median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        double valueOr(double fallback) {
            return count == 0 ? fallback : median;
        }
    }
}
