package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A set of cycles' tokens per second and its standard error. */
class RateTallyTest {

    @Test
    void stalledCyclesDoNotCount() {
        double[] seconds = {1, 1, 1, 1, 40};
        double[] tokens = {2, 2, 2, 2, 2};
        assertEquals(2.0, RateTally.of(seconds, tokens, 5).rate(), 1e-12, "the 40 s cycle is a stall");
        seconds[4] = 2.5;
        assertEquals(10 / 6.5, RateTally.of(seconds, tokens, 5).rate(), 1e-12, "a slow cycle is not");
        assertEquals(0.0, RateTally.of(seconds, tokens, 0).rate());
    }

    @Test
    void varianceIsTheRatioEstimatesAndTalliesAddUp() {
        // Cycles of 1 s yielding 1, 3, 2, 2 tokens: rate 2, residuals -1, 1, 0, 0, so variance 4 * 2 / (3 * 16).
        RateTally whole = RateTally.of(new double[] {1, 1, 1, 1}, new double[] {1, 3, 2, 2}, 4);
        assertEquals(2.0, whole.rate(), 1e-12);
        assertEquals(4 * 2.0 / (3 * 16), whole.variance(), 1e-12);
        RateTally halves = RateTally.of(new double[] {1, 1}, new double[] {1, 3}, 2);
        halves.addAll(RateTally.of(new double[] {1, 1}, new double[] {2, 2}, 2));
        assertEquals(whole.rate(), halves.rate(), 1e-12);
        assertEquals(whole.variance(), halves.variance(), 1e-12);
        // Passes alike in tokens per second leave no doubt; one pass leaves nothing but doubt.
        assertEquals(0.0, RateTally.of(new double[] {1, 2}, new double[] {2, 4}, 2).variance(), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, RateTally.of(new double[] {1}, new double[] {2}, 1).variance());
    }
}
