package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Measured time of one forward pass by the number of rows it carries (after a fixed prefix). Decides how many
 * draft nodes are worth verifying: on a bandwidth-bound device extra rows are nearly free, on a compute-bound
 * one they are not.
 *
 * @param rows ascending row counts, starting at 1
 * @param seconds pass time for each row count as the cost model uses it: the medians, never falling with rows
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
        // Passes never get cheaper with more rows; smooth out timing noise that says otherwise.
        for (int i = 1; i < seconds.length; i++) {
            seconds[i] = Math.max(seconds[i], seconds[i - 1]);
        }
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

    /** cost(n) / cost(1). */
    public double ratio(int n) {
        return cost(n) / seconds[0];
    }
}
