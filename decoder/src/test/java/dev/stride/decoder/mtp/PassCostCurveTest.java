package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The cost model's pass times: measured medians made non-decreasing by least squares, then interpolated. */
class PassCostCurveTest {

    @Test
    void nonDecreasingMediansAreKept() {
        double[] medians = {1.0, 1.0, 1.3, 2.0, 4.1};
        PassCostCurve curve = new PassCostCurve(new int[] {1, 2, 4, 8, 16}, medians);
        assertArrayEquals(medians, curve.seconds(), 0.0);
        assertArrayEquals(medians, curve.measured(), 0.0);
    }

    /** One slow one-row median is averaged with the rows it exceeds, not copied onto them. */
    @Test
    void aSlowPointSharesItsNeighboursMean() {
        assertArrayEquals(new double[] {1.325, 1.325, 1.325, 1.325},
                PassCostCurve.nonDecreasing(new double[] {2.0, 1.0, 1.1, 1.2}), 1e-12);
        assertArrayEquals(new double[] {1.0, 1.3, 1.3, 2.0},
                PassCostCurve.nonDecreasing(new double[] {1.0, 1.4, 1.2, 2.0}), 1e-12);
        PassCostCurve curve = new PassCostCurve(new int[] {1, 2, 4}, new double[] {1.0, 3.0, 2.0});
        assertArrayEquals(new double[] {1.0, 2.5, 2.5}, curve.seconds(), 1e-12);
        assertArrayEquals(new double[] {1.0, 3.0, 2.0}, curve.measured(), 0.0);
    }

    /**
     * Against the closed form of the least-squares non-decreasing fit, computed independently: the fitted value at
     * i is the largest, over pools starting at or before i, of the smallest mean of a pool starting there and
     * ending at or after i.
     */
    @Test
    void equalsTheMinMaxFormulaOnRandomTimes() {
        Random random = new Random(7);
        for (int trial = 0; trial < 500; trial++) {
            double[] times = new double[1 + random.nextInt(10)];
            for (int i = 0; i < times.length; i++) {
                times[i] = 1 + i * random.nextDouble() * 0.3 + random.nextGaussian() * 0.5;
            }
            double[] fitted = PassCostCurve.nonDecreasing(times);
            for (int i = 0; i < times.length; i++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int from = 0; from <= i; from++) {
                    double least = Double.POSITIVE_INFINITY;
                    for (int to = i; to < times.length; to++) {
                        double sum = 0;
                        for (int k = from; k <= to; k++) {
                            sum += times[k];
                        }
                        least = Math.min(least, sum / (to - from + 1));
                    }
                    best = Math.max(best, least);
                }
                assertEquals(best, fitted[i], 1e-9, "trial " + trial + ", point " + i);
            }
        }
    }

    @Test
    void interpolatesBetweenAndExtrapolatesPastTheRowCounts() {
        PassCostCurve curve = new PassCostCurve(new int[] {1, 4, 8}, new double[] {1.0, 1.6, 2.4});
        assertEquals(1.0, curve.cost(1), 1e-12);
        assertEquals(1.4, curve.cost(3), 1e-12);
        assertEquals(2.0, curve.cost(6), 1e-12);
        assertEquals(3.2, curve.cost(12), 1e-12);
        assertEquals(2.0, curve.ratio(6), 1e-12);
    }

    @Test
    void refusesRowCountsNotStartingAtOne() {
        assertThrows(IllegalArgumentException.class, () -> new PassCostCurve(new int[] {2, 4}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new PassCostCurve(new int[] {1, 4}, new double[] {1}));
    }
}
