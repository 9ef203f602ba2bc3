package dev.stride.job.report;

/**
 * Counts of values in equal-width bins; bin i covers [edges[i], edges[i + 1]), the last bin also holds the maximum.
 *
 * @param edges bin edges, one more than counts
 * @param counts values per bin
 */
record Histogram(double[] edges, long[] counts) {

    static Histogram of(double[] values, int targetBins) {
        if (values.length == 0) {
            return new Histogram(new double[0], new long[0]);
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double value : values) {
            min = Math.min(min, value);
            max = Math.max(max, value);
        }
        double width = Ticks.step((max - min) / targetBins);
        // Bins are numbered by floor(value / width), the same expression for every value, so the smallest lands in
        // bin 0: an edge computed as floor(min / width) * width can round above min (1.4 at width 0.1).
        double first = Math.floor(min / width);
        int bins = (int) (Math.floor(max / width) - first) + 1;
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
            edges[i] = (first + i) * width;
        }
        long[] counts = new long[bins];
        for (double value : values) {
            counts[(int) (Math.floor(value / width) - first)]++;
        }
        return new Histogram(edges, counts);
    }

    boolean isEmpty() {
        return counts.length == 0;
    }
}
