package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Observed cycle times correct the predicted ones; probes stay within their share of the time. */
class CostCorrectionTest {

    @Test
    void factorsStartNeutralAndFollowObservedOverPredicted() {
        CostCorrection correction = new CostCorrection();
        assertEquals(1.0, correction.plainFactor());
        assertEquals(1.0, correction.draftedFactor());
        correction.record(false, false, 2.0, 2.0, 3.0);
        assertEquals(1.5, correction.plainFactor(), 1e-12);
        assertEquals(1.5, correction.draftedFactor(), 1e-12, "no drafted cycle yet: drafted ones cost like plain");
        correction.record(true, false, 2.0, 1.0, 5.0);
        assertEquals(2.5, correction.draftedFactor(), 1e-12);
        assertEquals(1.5, correction.plainFactor(), 1e-12, "drafted cycles leave the plain factor alone");
        for (int i = 0; i < 200; i++) {
            correction.record(true, false, 1.0, 1.0, 1.2);
        }
        assertEquals(1.2, correction.draftedFactor(), 1e-3, "recent cycles outweigh the first");
    }

    @Test
    void oneStalledCycleMovesAFactorLittle() {
        CostCorrection correction = new CostCorrection();
        for (int i = 0; i < 100; i++) {
            correction.record(false, false, 1.0, 1.0, 2.0);
        }
        correction.record(false, false, 1.0, 1.0, 500.0); // a GC pause or a preempted thread
        assertTrue(correction.plainFactor() < 2.2, "factor " + correction.plainFactor());
    }

    @Test
    void aSlowStretchShorterThanHalfTheWindowLeavesTheFactorAlone() {
        CostCorrection correction = new CostCorrection();
        for (int i = 0; i < CostCorrection.WINDOW; i++) {
            correction.record(false, false, 1.0, 1.0, 1.0);
        }
        for (int i = 0; i < CostCorrection.WINDOW / 2; i++) {
            correction.record(false, false, 1.0, 1.0, 2.5); // a neighbour's burst on a shared machine
        }
        assertEquals(1.0, correction.plainFactor(), 1e-12);
        correction.record(false, false, 1.0, 1.0, 2.5);
        assertEquals(2.5, correction.plainFactor(), 1e-12, "once most recent cycles agree, the factor follows");
    }

    @Test
    void cyclesWithoutAPredictionAreIgnored() {
        CostCorrection correction = new CostCorrection();
        correction.record(true, true, 0.0, 0.0, 1.0);
        correction.record(false, false, 1.0, 1.0, 0.0);
        assertEquals(1.0, correction.plainFactor());
        assertEquals(1.0, correction.draftedFactor());
        assertTrue(correction.allowsProbe());
    }

    @Test
    void probesAreHeldToTheirShareOfTheTime() {
        CostCorrection correction = new CostCorrection();
        assertTrue(correction.allowsProbe(), "nothing observed yet: a first probe is free to run");
        correction.record(true, true, 3.0, 1.0, 3.0); // a probe costing two plain cycles more than one
        assertFalse(correction.allowsProbe());
        int plainCycles = 0;
        while (!correction.allowsProbe()) {
            correction.record(false, false, 1.0, 1.0, 1.0);
            plainCycles++;
        }
        // 2 s of probing may be 1 % of the time once 200 s have passed: 3 s of the probe and 197 plain cycles.
        assertEquals(197, plainCycles);
    }
}
