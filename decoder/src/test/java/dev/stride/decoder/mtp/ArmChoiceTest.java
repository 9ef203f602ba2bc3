package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drafted stretches' ways of drafting, picked by measured rate; the losers tried again after doubling waits. */
class ArmChoiceTest {

    /** Runs {@code stretches} stretches at the given per-arm rates; returns the arm of each. */
    private static List<Integer> run(ArmChoice choice, double[] rates, int stretches) {
        List<Integer> arms = new ArrayList<>();
        for (int s = 0; s < stretches; s++) {
            int arm = choice.next();
            arms.add(arm);
            choice.ended(arm, rates[arm]);
        }
        return arms;
    }

    @Test
    void armZeroFirstThenEveryArmOnceThenTheBestNearlyAlways() {
        ArmChoice choice = new ArmChoice(4);
        List<Integer> arms = run(choice, new double[] {1, 2, 5, 3}, 2000);
        // 0 runs; 1 is tried (wins: 2 > 1); 2 is tried (wins); 3 is tried (loses to 5); then 2 runs on.
        assertEquals(List.of(0, 1, 1, 2, 2, 3, 2), arms.subList(0, 7));
        long best = arms.stream().filter(a -> a == 2).count();
        assertTrue(best >= 0.93 * arms.size(), "the best arm runs all but the trials: " + best + " of 2000");
    }

    @Test
    void aLosingArmIsTriedAgainAfterWaitsThatDoubleUpToTheLast() {
        ArmChoice choice = new ArmChoice(2);
        List<Integer> arms = run(choice, new double[] {3, 1}, 1000);
        List<Integer> trials = new ArrayList<>();
        for (int s = 0; s < arms.size(); s++) {
            if (arms.get(s) == 1) {
                trials.add(s);
            }
        }
        assertEquals(DraftingRegimeTest.losingRechecks(1000), trials, "the regime's schedule");
    }

    @Test
    void aTrialThatWinsTakesOver() {
        ArmChoice choice = new ArmChoice(2);
        run(choice, new double[] {3, 1}, 200);
        assertEquals(0, choice.next());
        // Arm 1 now yields 4 tokens a second: its next trial, at most LAST_RECHECK + 1 stretches away, wins.
        List<Integer> arms = run(choice, new double[] {3, 4}, DraftingRegime.LAST_RECHECK + 3);
        assertEquals(1, choice.next(), "arms run: " + arms);
    }

    @Test
    void aStretchBegunBeforeTheChoiceMovedOnDecidesNothing() {
        ArmChoice choice = new ArmChoice(3);
        choice.ended(0, 1); // arm 0's stretch: arm 1 is tried next
        assertEquals(1, choice.next());
        choice.ended(2, 9); // another decoder's stale stretch of arm 2
        assertEquals(1, choice.next(), "still arm 1's trial");
    }
}
