package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * How far decoding's cycles run from what the start-up cost model predicts, by the rows their pass carried: for
 * each row count observed, a running mean of measured cycle time over predicted pass and head time. The model is
 * timed once, on passes alone; a decoding cycle adds verification and bookkeeping, and the machine's speed drifts
 * (on the demo the model put a three-row pass at 1.01x a one-row pass where decoding saw 1.15-1.3x). Between
 * observed row counts the ratio is interpolated; past the largest it grows along the least-squares slope of all
 * observed ratios (never falling: a pass does not get cheaper with rows), so that cycles of plain decoding and short
 * chains teach what larger trees would cost; below the smallest it is the smallest's, and 1 before any observation.
 * Allocation-free once it has seen the largest row count.
 */
final class CostCorrection {

    /** Weight of each new observation in a row count's running mean (about the last 16 cycles count). */
    static final double WEIGHT = 1.0 / 16;
    /**
     * An observation counts as at most this many times its row count's mean (or, for a row count's first, what the
     * others say): a stall (a preempted thread, a collection) moves a mean by 1/8 at most, while costs that really
     * rose still raise it, geometrically.
     */
    static final double STALL = 3;

    private double[] ratios = new double[1]; // by rows (index 0 unused); 0 where never observed
    private int[] below = new int[1];        // by rows: the largest observed row count <= it, 0 if none
    private int[] above = new int[1];        // by rows: the smallest observed row count >= it, 0 if none
    private int largest;                     // the largest observed row count, 0 while none is
    private double slope;                    // least-squares slope of the observed ratios over rows, at least 0

    /** A cycle whose pass carried {@code rows} rows took {@code measured} s where the model said {@code predicted}. */
    void observe(int rows, double measured, double predicted) {
        double ratio = measured / predicted;
        if (rows <= 0 || !(predicted > 0) || !(ratio > 0) || !Double.isFinite(ratio)) {
            return;
        }
        if (rows >= ratios.length) {
            int length = Math.max(rows + 1, 2 * ratios.length);
            ratios = Arrays.copyOf(ratios, length);
            below = new int[length];
            above = new int[length];
        }
        double mean = ratios[rows];
        if (mean == 0) {
            ratios[rows] = largest == 0 ? ratio : Math.min(ratio, STALL * ratio(rows));
            indexObserved();
        } else {
            ratios[rows] = mean + WEIGHT * (Math.min(ratio, STALL * mean) - mean);
        }
        slope = observedSlope();
    }

    /** Measured over predicted time for a pass of {@code rows} rows. */
    double ratio(int rows) {
        if (largest == 0) {
            return 1;
        }
        if (rows >= largest) {
            return ratios[largest] + slope * (rows - largest);
        }
        int lo = below[Math.max(rows, 0)];
        int hi = above[Math.max(rows, 0)];
        if (lo == 0) {
            return ratios[hi];
        }
        return lo == hi ? ratios[lo] : ratios[lo] + (ratios[hi] - ratios[lo]) * (rows - lo) / (hi - lo);
    }

    /** The nearest observed row counts below and above each row count, and the largest. */
    private void indexObserved() {
        int last = 0;
        for (int r = 0; r < ratios.length; r++) {
            last = ratios[r] > 0 ? r : last;
            below[r] = last;
        }
        largest = last;
        int next = 0;
        for (int r = ratios.length - 1; r >= 0; r--) {
            next = ratios[r] > 0 ? r : next;
            above[r] = next;
        }
    }

    /** Least-squares slope of ratio over rows through the observed row counts, each counted once; 0 if negative. */
    private double observedSlope() {
        int count = 0;
        double sumRows = 0;
        double sumRatios = 0;
        double sumRowsSquared = 0;
        double sumProducts = 0;
        for (int r = above[1]; r > 0; r = r + 1 < ratios.length ? above[r + 1] : 0) {
            count++;
            sumRows += r;
            sumRatios += ratios[r];
            sumRowsSquared += (double) r * r;
            sumProducts += r * ratios[r];
        }
        double spread = count * sumRowsSquared - sumRows * sumRows;
        return count < 2 || spread <= 0 ? 0 : Math.max(0, (count * sumProducts - sumRows * sumRatios) / spread);
    }
}
