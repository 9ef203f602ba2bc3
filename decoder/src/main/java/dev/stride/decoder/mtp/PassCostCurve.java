package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Measured time of one forward pass by the number of rows it carries (after a fixed prefix). Decides how many
 * draft nodes are worth verifying: on a bandwidth-bound device extra rows are nearly free, on a compute-bound
 * one they are not.
 *
 * @param rows ascending row counts, starting at 1
 * @param seconds pass time for each row count as the cost model uses it: the medians made non-decreasing with rows
 * @param measured the median pass times as timed (what {@code bench --pass-cost} reports beside the curve)
 */
public record PassCostCurve(int[] rows, double[] seconds, double[] measured) {

    public PassCostCurve {
        if (rows.length == 0 || rows.length != seconds.length || rows.length != measured.length || rows[0] != 1) {
            throw new IllegalArgumentException("pass cost curve needs matching row counts starting at 1, got "
                    + Arrays.toString(rows));
        }
        rows = rows.clone();
        measured = measured.clone();
        seconds = seconds.clone();
        seconds = nonDecreasing(seconds);
    }

    /** A curve from median pass times. */
    public PassCostCurve(int[] rows, double[] seconds) {
        this(rows, seconds, seconds);
    }

    @Override
    public double[] seconds() {
        return seconds.clone();
    }

    @Override
    public double[] measured() {
        return measured.clone();
    }

    /** Estimated pass time for n rows: linear between measured points, extrapolated past the last. */
    public double cost(int n) {
        if (n <= rows[0]) {
            return seconds[0];
        }
        for (int i = 1; i < rows.length; i++) {
            if (n <= rows[i]) {
                double t = (double) (n - rows[i - 1]) / (rows[i] - rows[i - 1]);
                return seconds[i - 1] + t * (seconds[i] - seconds[i - 1]);
            }
        }
        int last = rows.length - 1;
        double slope = last == 0 ? seconds[0] : (seconds[last] - seconds[last - 1]) / (rows[last] - rows[last - 1]);
        return seconds[last] + slope * (n - rows[last]);
    }

    /**
     * The non-decreasing sequence nearest to {@code times} in least squares (pooling adjacent violators): passes
     * never get cheaper with more rows, so timing noise that says otherwise is averaged out. A running maximum did
     * that too, but lifted every later point to one slow median: a one-row pass timed 22.5 ms among 13-14 ms
     * passes made 1-4 rows one cost, and extra rows look free to {@code auto}; pooled, a slow point and its
     * neighbours share their mean.
     */
    static double[] nonDecreasing(double[] times) {
        double[] means = new double[times.length]; // the pools, left to right: their means and sizes
        int[] sizes = new int[times.length];
        int pools = 0;
        for (double t : times) {
            means[pools] = t;
            sizes[pools++] = 1;
            while (pools > 1 && means[pools - 2] > means[pools - 1]) {
                int size = sizes[pools - 2] + sizes[pools - 1];
                means[pools - 2] = (means[pools - 2] * sizes[pools - 2] + means[pools - 1] * sizes[pools - 1]) / size;
                sizes[pools - 2] = size;
                pools--;
            }
        }
        double[] fitted = new double[times.length];
        for (int p = 0, i = 0; p < pools; p++) {
            for (int k = 0; k < sizes[p]; k++) {
                fitted[i++] = means[p];
            }
        }
        return fitted;
    }

    /** cost(n) / cost(1). */
    public double ratio(int n) {
        return cost(n) / seconds[0];
    }
}
