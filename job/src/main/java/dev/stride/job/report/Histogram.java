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
        double start = Math.floor(min / width) * width;
        int bins = Math.max(1, (int) Math.floor((max - start) / width) + 1);
        double[] edges = new double[bins + 1];
        for (int i = 0; i <= bins; i++) {
            edges[i] = start + i * width;
        }
        long[] counts = new long[bins];
        for (double value : values) {
            counts[Math.min(bins - 1, (int) Math.floor((value - start) / width))]++;
        }
        return new Histogram(edges, counts);
    }

    boolean isEmpty() {
        return counts.length == 0;
    }
}
