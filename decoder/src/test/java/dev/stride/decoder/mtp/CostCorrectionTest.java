package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The running ratio of measured to predicted cycle time by rows: interpolated, extrapolated, robust to stalls. */
class CostCorrectionTest {

    @Test
    void ratiosAreInterpolatedBetweenObservedRowsAndExtrapolatedAlongTheirSlope() {
        CostCorrection correction = new CostCorrection();
        assertEquals(1.0, correction.ratio(1), "nothing observed yet");
        assertEquals(1.0, correction.ratio(50));
        correction.observe(3, 2.0, 1.0);
        assertEquals(2.0, correction.ratio(1), "below the smallest observed: its ratio");
        assertEquals(2.0, correction.ratio(40), "one row count gives no slope");
        correction.observe(1, 1.0, 1.0);
        correction.observe(5, 6.0, 2.0);
        assertEquals(1.0, correction.ratio(1));
        assertEquals(1.5, correction.ratio(2), 1e-12);
        assertEquals(2.0, correction.ratio(3));
        assertEquals(2.5, correction.ratio(4), 1e-12);
        assertEquals(3.0, correction.ratio(5));
        assertEquals(3.0 + 0.5 * 995, correction.ratio(1000), 1e-9, "past the largest: along the slope 0.5");
        assertEquals(1.0, correction.ratio(0));
    }

    @Test
    void passesNeverGetCheaperPastTheLargestObservedRowCount() {
        CostCorrection correction = new CostCorrection();
        correction.observe(1, 3.0, 1.0);
        correction.observe(4, 2.0, 1.0);
        assertEquals(2.0, correction.ratio(4));
        assertEquals(2.0, correction.ratio(64), "a falling slope extrapolates flat");
        assertEquals(7.0 / 3, correction.ratio(3), 1e-12, "interpolated between what was measured");
    }

    @Test
    void aFirstObservationMayExceedWhatTheOtherRowCountsSayByTheStallFactorAtMost() {
        CostCorrection correction = new CostCorrection();
        correction.observe(1, 1.0, 1.0);
        correction.observe(3, 2.0, 1.0);
        correction.observe(16, 100.0, 1.0); // one slow cycle: the rows before say 2 + 0.5 * 13 = 8.5
        assertEquals(CostCorrection.STALL * 8.5, correction.ratio(16), 1e-9);
        correction.observe(2, 1.2, 1.0);
        assertEquals(1.2, correction.ratio(2), 1e-12, "below the bound: as measured");
        for (int i = 0; i < 200; i++) {
            correction.observe(16, 100.0, 1.0);
        }
        assertEquals(100.0, correction.ratio(16), 1e-3, "costs that really rose get through");
    }

    @Test
    void aRowCountsRatioIsARunningMeanThatBoundsStallsAndIgnoresNonsense() {
        CostCorrection correction = new CostCorrection();
        correction.observe(2, 1.0, 1.0);
        correction.observe(2, 2.0, 1.0);
        assertEquals(1.0 + CostCorrection.WEIGHT, correction.ratio(2), 1e-12);
        for (int i = 0; i < 400; i++) {
            correction.observe(2, 2.0, 1.0);
        }
        assertEquals(2.0, correction.ratio(2), 1e-9, "converges on what decoding measures");
        correction.observe(2, 1000.0, 1.0);
        assertEquals(2.0 * (1 + CostCorrection.WEIGHT * (CostCorrection.STALL - 1)), correction.ratio(2), 1e-9,
                "a stall counts as STALL times the mean");
        for (int i = 0; i < 400; i++) {
            correction.observe(2, 2.0, 1.0);
        }
        correction.observe(2, 1.0, 0.0);
        correction.observe(2, Double.NaN, 1.0);
        correction.observe(2, Double.POSITIVE_INFINITY, 1.0);
        correction.observe(2, 1.0, Double.MIN_VALUE);
        correction.observe(0, 1.0, 1.0);
        correction.observe(-1, 1.0, 1.0);
        assertEquals(2.0, correction.ratio(2), 1e-9);
        assertEquals(2.0, correction.ratio(1), 1e-9);
    }
}
