package dev.stride.decoder.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The best fixed tree of a sweep, chosen without the round it is scored on. The largest of a sweep's median
 * speedups is biased upwards: every median carries the machine's noise, and among near-ties (chain:1, chain:2 and
 * chain:3 on the demo at batch 1) the largest is mostly the luckiest. So, for each round, the tree with the highest
 * median over the other rounds is picked, and its ratio in that round is the round's score; the speedup is the
 * median of the scores: what choosing the best fixed tree from earlier measurements would have made.
 *
 * @param speedup median over rounds of the held-out pick's ratio to plain decoding
 * @param picks how many rounds each tree was picked for
 */
record HeldOutBest(double speedup, Map<String, Integer> picks) {

    /**
     * @param trees the candidate trees
     * @param ratios ratios[t][r]: tree t's throughput over plain decoding's in round r, the same rounds for each
     *               tree; at least two rounds
     */
    static HeldOutBest of(List<String> trees, double[][] ratios) {
        int rounds = ratios[0].length;
        if (rounds < 2 || ratios.length != trees.size()) {
            throw new IllegalArgumentException("a held-out choice needs at least two rounds for each of the "
                    + trees.size() + " trees");
        }
        double[] scores = new double[rounds];
        Map<String, Integer> picks = new TreeMap<>();
        for (int r = 0; r < rounds; r++) {
            int best = 0;
            double bestMedian = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < trees.size(); t++) {
                double median = median(without(ratios[t], r));
                if (median > bestMedian) {
                    bestMedian = median;
                    best = t;
                }
            }
            scores[r] = ratios[best][r];
            picks.merge(trees.get(best), 1, Integer::sum);
        }
        return new HeldOutBest(median(scores), picks);
    }

    /** The median of values (the mean of the middle two for an even count). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double[] without(double[] values, int skipped) {
        double[] rest = new double[values.length - 1];
        for (int i = 0, j = 0; i < values.length; i++) {
            if (i != skipped) {
                rest[j++] = values[i];
            }
        }
        return rest;
    }
}
