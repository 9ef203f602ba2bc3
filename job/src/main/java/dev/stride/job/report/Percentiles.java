package dev.stride.job.report;

import java.util.Arrays;

/**
 * Nearest-rank percentiles: the value at rank ceil(p / 100 * n) of the sorted sample. They are always observed
 * values, and numpy reproduces them with {@code np.percentile(x, p, method="inverted_cdf")}.
 *
 * @param p50 median, null without values (as are the others)
 */
record Percentiles(Double p50, Double p90, Double p99, Double max) {

    static Percentiles of(double[] values) {
        if (values.length == 0) {
            return new Percentiles(null, null, null, null);
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return new Percentiles(rank(sorted, 50), rank(sorted, 90), rank(sorted, 99), sorted[sorted.length - 1]);
    }

    static double rank(double[] sorted, double p) {
        // n * (p / 100) in this order, as numpy computes it, so ranks agree to the last bit.
        int rank = (int) Math.ceil(sorted.length * (p / 100));
        return sorted[Math.max(rank, 1) - 1];
    }
}
