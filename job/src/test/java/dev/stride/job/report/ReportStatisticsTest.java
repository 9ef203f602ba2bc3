package dev.stride.job.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The report's small building blocks: percentiles, histogram bins, axis steps and number formats. */
class ReportStatisticsTest {

    @Test
    void percentilesTakeTheNearestRank() {
        double[] oneToHundred = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
        assertEquals(new Percentiles(50.0, 90.0, 99.0, 100.0), Percentiles.of(oneToHundred));
        // Ten values: ranks ceil(5) = 5, ceil(9) = 9, ceil(9.9) = 10.
        assertEquals(new Percentiles(5.0, 9.0, 10.0, 10.0), Percentiles.of(new double[] {10, 9, 8, 7, 6, 5, 4, 3, 2, 1}));
        assertEquals(new Percentiles(7.0, 7.0, 7.0, 7.0), Percentiles.of(new double[] {7}));
        assertNull(Percentiles.of(new double[0]).p50());
    }

    @Test
    void histogramUsesRoundBinsThatHoldTheMaximum() {
        Histogram h = Histogram.of(new double[] {1.0, 1.5, 2.0, 3.0}, 4);
        assertArrayEquals(new double[] {1.0, 1.5, 2.0, 2.5, 3.0, 3.5}, h.edges(), 1e-12);
        assertArrayEquals(new long[] {1, 1, 1, 0, 1}, h.counts());

        Histogram same = Histogram.of(new double[] {1, 1, 1}, 20);
        assertArrayEquals(new long[] {3}, same.counts());
        assertTrue(Histogram.of(new double[0], 20).isEmpty());
    }

    /** Tokens per pass are small ratios such as 7 / 5 = 1.4, where floor(1.4 / 0.1) * 0.1 rounds above 1.4. */
    @Test
    void everyValueLandsInTheBinWhoseEdgesHoldIt() {
        for (int p = 1; p <= 40; p++) {
            for (int q = 1; q <= 12; q++) {
                for (int bins : new int[] {4, 20}) {
                    double[] values = {(double) p / q, (double) (p + 1) / q, 3.5, (double) p / q + 0.1};
                    Histogram h = Histogram.of(values, bins);
                    assertEquals(values.length, java.util.Arrays.stream(h.counts()).sum());
                    for (double v : values) {
                        int bin = 0;
                        while (bin < h.counts().length - 1 && v >= h.edges()[bin + 1] - 1e-9) {
                            bin++;
                        }
                        assertTrue(v >= h.edges()[bin] - 1e-9 && v <= h.edges()[bin + 1] + 1e-9,
                                v + " outside " + java.util.Arrays.toString(h.edges()));
                    }
                }
            }
        }
    }

    @Test
    void ticksAreOneTwoOrFiveTimesAPowerOfTen() {
        assertEquals(0.5, Ticks.step(0.3));
        assertEquals(0.2, Ticks.step(0.12), 1e-15);
        assertEquals(1, Ticks.step(1));
        assertEquals(10, Ticks.step(7));
        assertEquals(1, Ticks.step(0));
    }

    @Test
    void formatsReadableAndExactNumbers() {
        assertEquals("1,234,567", Fmt.readable(1234567L));
        assertEquals("12,346", Fmt.readable(12345.6));
        assertEquals("2.5", Fmt.readable(2.5));
        assertEquals("740.74", Fmt.readable(740.7407407));
        assertEquals("0.0123", Fmt.readable(0.012345));
        assertEquals("0", Fmt.readable(0.0));
        assertEquals("n/a", Fmt.readable(null));
        assertEquals("0.1", Fmt.exact(0.1));
        assertEquals("0.0000001", Fmt.exact(1e-7));
        assertEquals("42", Fmt.exact(42L));
        assertEquals("", Fmt.exact(null));
    }
}
