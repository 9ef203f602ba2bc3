package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plain and drafted stretches compared by measured tokens per second; the loser is measured again now and then. */
class DraftingRegimeTest {

    private static final int MEASURED = DraftingRegime.STRETCH - DraftingRegime.SETTLE;

    /** Ends a stretch of the regime's current kind, each measured cycle taking 1 s for that kind's tokens. */
    private static boolean stretch(DraftingRegime regime, double plainRate, double draftedRate) {
        boolean drafts = regime.drafting();
        double[] seconds = new double[MEASURED];
        int[] tokens = new int[MEASURED];
        Arrays.fill(seconds, 1.0);
        Arrays.fill(tokens, (int) (drafts ? draftedRate : plainRate));
        regime.stretchEnded(drafts, seconds, tokens, MEASURED);
        return drafts;
    }

    @Test
    void theModelPicksTheFirstStretchAndTheOtherRegimeIsTriedNext() {
        DraftingRegime regime = new DraftingRegime();
        assertTrue(regime.nextStretchDrafts(true));
        assertTrue(regime.nextStretchDrafts(false), "the model's guess decides the first stretch only");
        stretch(regime, 1, 3);
        assertFalse(regime.drafting(), "plain decoding has not been measured yet");
        stretch(regime, 1, 3);
        assertTrue(regime.drafting(), "3 tokens per second beat 1");
    }

    @Test
    void theLosingRegimeIsRecheckedAfterWaitsThatDoubleUpToTheLast() {
        DraftingRegime regime = new DraftingRegime();
        regime.nextStretchDrafts(false);
        List<Integer> rechecks = new ArrayList<>();
        for (int s = 0; s < 1000; s++) {
            if (stretch(regime, 2, 1)) {
                rechecks.add(s);
            }
        }
        assertEquals(losingRechecks(1000), rechecks);
    }

    /**
     * The stretches below {@code total} at which a loser that keeps losing is tried: stretch 1 (the first try, which
     * loses), then after 8, 16, 32, 64, 64, ... stretches of the winner.
     */
    static List<Integer> losingRechecks(int total) {
        List<Integer> expected = new ArrayList<>(List.of(1));
        int at = 1;
        for (int wait = 2 * DraftingRegime.FIRST_RECHECK; at + wait + 1 < total;
             wait = Math.min(2 * wait, DraftingRegime.LAST_RECHECK)) {
            at += wait + 1;
            expected.add(at);
        }
        return expected;
    }

    @Test
    void aRecheckThatWinsTakesOverJudgedOnItsOwnStretches() {
        DraftingRegime regime = new DraftingRegime();
        regime.nextStretchDrafts(false);
        for (int s = 0; s < 200; s++) {
            stretch(regime, 3, 1);
        }
        assertFalse(regime.drafting());
        // The text turns predictable: drafting now yields 4 tokens a second. The next recheck finds it (at most
        // LAST_RECHECK + 1 stretches away), judged without the 1 token/s it measured on earlier text, and drafting
        // stays on, with plain decoding rechecked soon after.
        int stretches = 0;
        while (!regime.drafting()) {
            stretch(regime, 3, 4);
            stretches++;
        }
        assertTrue(stretches <= DraftingRegime.LAST_RECHECK + 1, stretches + " stretches");
        stretch(regime, 3, 4);
        assertTrue(regime.drafting(), "the recheck won: 4 tokens/s against 3");
        int plainStretches = 0;
        for (int s = 0; s < 10 * DraftingRegime.FIRST_RECHECK; s++) {
            plainStretches += stretch(regime, 3, 4) ? 0 : 1;
        }
        assertTrue(plainStretches > 0, "the wait for rechecks started over");
    }

    @Test
    void stalledCyclesDoNotCountAgainstARegime() {
        double[] seconds = {1, 1, 1, 1, 40};
        int[] tokens = {2, 2, 2, 2, 2};
        assertEquals(2.0, DraftingRegime.tokensPerSecond(seconds, tokens, 5), 1e-12, "the 40 s cycle is a stall");
        seconds[4] = 2.5;
        assertEquals(10 / 6.5, DraftingRegime.tokensPerSecond(seconds, tokens, 5), 1e-12, "a slow cycle is not");
        assertEquals(0.0, DraftingRegime.tokensPerSecond(seconds, tokens, 0));
    }
}
