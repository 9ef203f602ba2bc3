package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Drafted stretches' ways of drafting, picked by contests side by side; losers contest again after doubling waits. */
class ArmChoiceTest {

    /** Runs {@code stretches} stretches at the given per-arm rates; returns the plan of each. */
    private static List<ArmChoice.Plan> run(ArmChoice choice, double[] rates, int stretches) {
        List<ArmChoice.Plan> plans = new ArrayList<>();
        for (int s = 0; s < stretches; s++) {
            ArmChoice.Plan plan = choice.next();
            plans.add(plan);
            choice.ended(plan, rates[plan.current()], plan.contest() ? rates[plan.challenger()] : 0);
        }
        return plans;
    }

    private static ArmChoice.Plan alone(int arm) {
        return new ArmChoice.Plan(arm, ArmChoice.NONE);
    }

    private static ArmChoice.Plan contest(int current, int challenger) {
        return new ArmChoice.Plan(current, challenger);
    }

    @Test
    void armZeroFirstThenEveryArmContestedThenTheBestNearlyAlways() {
        ArmChoice choice = new ArmChoice(4, 3, 0);
        List<ArmChoice.Plan> plans = run(choice, new double[] {1, 2, 5, 3}, 2000);
        // 0 runs; 1 challenges it and wins (2 > 1); right away 2 challenges 1 and wins; 3 challenges 2 and loses.
        assertEquals(List.of(alone(0), contest(0, 1), contest(1, 2), contest(2, 3), alone(2), alone(2)),
                plans.subList(0, 6));
        double bestPasses = 0;
        for (ArmChoice.Plan plan : plans) {
            bestPasses += plan.current() != 2 ? 0 : plan.contest() ? 0.5 : 1;
        }
        assertTrue(bestPasses >= 0.95 * plans.size(), "the best arm runs all but the contests' challengers' passes: "
                + bestPasses + " stretches of 2000");
    }

    @Test
    void onlyTheEntryArmsChallengePlainDecodingAndTheDeeperOnesADraftingArm() {
        ArmChoice choice = new ArmChoice(5, 2, 0);
        List<ArmChoice.Plan> plans = run(choice, new double[] {3, 2, 2.5, 2.8, 2.9}, 1000);
        assertTrue(plans.stream().allMatch(plan -> plan.current() == 0 && plan.challenger() <= 2), "plans: " + plans);
        assertTrue(plans.stream().anyMatch(plan -> plan.challenger() == 2), "the entry arms do challenge");
        // Where drafting pays, a drafting arm takes over and the deeper arms then challenge it: the deepest wins.
        ArmChoice paying = new ArmChoice(5, 2, 0);
        run(paying, new double[] {1, 2, 3, 4, 5}, 20);
        assertEquals(4, paying.next().current());
    }

    @Test
    void aContestAlternatesTheArmsPassByPass() {
        ArmChoice.Plan plan = contest(2, 0);
        assertEquals(List.of(2, 0, 2, 0), List.of(plan.armOf(0), plan.armOf(1), plan.armOf(2), plan.armOf(3)));
        assertEquals(3, alone(3).armOf(1));
    }

    @Test
    void aLosingArmContestsAgainAfterWaitsThatDoubleUpToTheLast() {
        ArmChoice choice = new ArmChoice(2, 1, 0);
        List<ArmChoice.Plan> plans = run(choice, new double[] {3, 1}, 1000);
        List<Integer> contests = new ArrayList<>();
        for (int s = 0; s < plans.size(); s++) {
            assertEquals(0, plans.get(s).current(), "the better arm stays current");
            if (plans.get(s).contest()) {
                contests.add(s);
            }
        }
        assertEquals(losingRechecks(1000), contests, "the regime's schedule");
    }

    @Test
    void aChallengerThatWinsTakesOver() {
        ArmChoice choice = new ArmChoice(2, 1, 0);
        run(choice, new double[] {3, 1}, 200);
        assertEquals(0, choice.next().current());
        // Arm 1 now yields 4 tokens a second: its next contest, at most LAST_RECHECK + 1 stretches away, wins.
        List<ArmChoice.Plan> plans = run(choice, new double[] {3, 4}, DraftingRegime.LAST_RECHECK + 3);
        assertEquals(1, choice.next().current(), "plans: " + plans);
    }

    @Test
    void aStretchBegunBeforeTheChoiceMovedOnDecidesNothing() {
        ArmChoice choice = new ArmChoice(3, 2, 0);
        ArmChoice.Plan first = choice.next();
        choice.ended(first, 1, 0); // arm 0 alone: arm 1 challenges next
        assertEquals(contest(0, 1), choice.next());
        choice.ended(first, 1, 0); // another decoder's stale stretch of arm 0 alone
        choice.ended(contest(0, 2), 1, 9); // and a contest that is not the one planned
        assertEquals(contest(0, 1), choice.next(), "still arm 1's contest");
    }

    /**
     * The stretches below {@code total} at which a loser that keeps losing contests: stretch 1 (its first contest,
     * lost), then after 8, 16, 32, 64, 64, ... stretches of the winner.
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
}
