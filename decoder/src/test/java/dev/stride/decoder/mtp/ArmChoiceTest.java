package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Drafted stretches' ways of drafting, picked by contests side by side; losers contest again after doubling waits. */
class ArmChoiceTest {

    /** Runs {@code stretches} stretches at the given per-arm rates; returns the plan of each. */
    private static List<ArmChoice.Plan> run(ArmChoice choice, double[] rates, int stretches) {
        List<ArmChoice.Plan> plans = new ArrayList<>();
        for (int s = 0; s < stretches; s++) {
            ArmChoice.Plan plan = choice.next();
            plans.add(plan);
            choice.ended(plan, passes(rates[plan.current()]), plan.contest() ? passes(rates[plan.challenger()])
                    : new RateTally());
        }
        return plans;
    }

    /** A stretch's measured passes of an arm that yields {@code rate} tokens per second on every pass alike. */
    private static RateTally passes(double rate) {
        RateTally tally = new RateTally();
        for (int i = 0; i < 14; i++) {
            tally.add(1 / rate, 1);
        }
        return tally;
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

    /**
     * Contests between arm 0 and an arm 1 whose passes yield 1, 2 or 3 tokens (chances {@code oneTwoThree}) in 1 s,
     * against arm 0's 1, 2 or 3 tokens with chances 0.3, 0.4, 0.3 (2 tokens a second); returns how many of
     * {@code contests} arm 1 won.
     */
    private static int noisyContestsWon(double[] oneTwoThree, int contests, long seed) {
        Random random = new Random(seed);
        double[] current = {0.3, 0.4, 0.3};
        int won = 0;
        for (int c = 0; c < contests; c++) {
            ArmChoice choice = new ArmChoice(2, 1, 0);
            choice.ended(choice.next(), passes(2), new RateTally()); // arm 0 alone, then the contest
            while (choice.next().contest()) {
                choice.ended(choice.next(), noisyPasses(current, random), noisyPasses(oneTwoThree, random));
            }
            won += choice.next().current();
        }
        return won;
    }

    private static RateTally noisyPasses(double[] oneTwoThree, Random random) {
        RateTally tally = new RateTally();
        for (int i = 0; i < 14; i++) {
            double u = random.nextDouble();
            tally.add(1.0, u < oneTwoThree[0] ? 1 : u < oneTwoThree[0] + oneTwoThree[1] ? 2 : 3);
        }
        return tally;
    }

    @Test
    void contestsRunUntilTheDifferenceIsClearOfTheNoise() {
        // 10 % slower (1.8 tokens a pass): judged on one stretch it won 84 contests of 400.
        int slowerWon = noisyContestsWon(new double[] {0.4, 0.4, 0.2}, 400, 1);
        assertTrue(slowerWon <= 400 / 10, "a 10 % slower challenger won " + slowerWon + " of 400 contests");
        // 10 % faster (2.2 tokens a pass) takes over in most: no advantage to the arm that happens to run.
        int alsoFasterWon = noisyContestsWon(new double[] {0.2, 0.4, 0.4}, 400, 3);
        assertTrue(alsoFasterWon >= 400 * 3 / 4, "a 10 % faster challenger won " + alsoFasterWon + " of 400 contests");
        // 30 % faster (2.6 tokens a pass) takes over nearly always.
        int fasterWon = noisyContestsWon(new double[] {0.1, 0.2, 0.7}, 400, 2);
        assertTrue(fasterWon >= 400 * 9 / 10, "a 30 % faster challenger won only " + fasterWon + " of 400 contests");
        // A tie ends after LONGEST_CONTEST stretches, the current arm staying.
        ArmChoice choice = new ArmChoice(2, 1, 0);
        choice.ended(choice.next(), passes(2), new RateTally());
        for (int s = 0; s < ArmChoice.LONGEST_CONTEST; s++) {
            assertEquals(contest(0, 1), choice.next(), "stretch " + s + " of the contest");
            choice.ended(choice.next(), passes(2), passes(2));
        }
        assertEquals(alone(0), choice.next());
    }

    @Test
    void nearTiesDoNotKeepContesting() {
        ArmChoice choice = new ArmChoice(2, 1, 0);
        Random random = new Random(4);
        double[] same = {0.3, 0.4, 0.3};
        int contestStretches = 0;
        for (int s = 0; s < 2000; s++) {
            ArmChoice.Plan plan = choice.next();
            contestStretches += plan.contest() ? 1 : 0;
            choice.ended(plan, noisyPasses(same, random), plan.contest() ? noisyPasses(same, random)
                    : new RateTally());
        }
        // Waits doubling to 64 stretches: a contest of at most LONGEST_CONTEST (8) stretches per 72. Resetting the
        // old current arm's wait after every win, as after a clear one, took 359 of 2,000 with contests of 4.
        assertTrue(contestStretches <= 2000 / 8, contestStretches + " contest stretches of 2000");
    }

    @Test
    void aContestAlternatesTheArmsInBlocks() {
        ArmChoice.Plan plan = contest(2, 0);
        List<Integer> arms = new ArrayList<>();
        List<Integer> measured = new ArrayList<>();
        for (int cycle = 0; cycle < DraftingRegime.STRETCH; cycle++) {
            arms.add(plan.armOf(cycle));
            if (plan.measures(cycle)) {
                measured.add(cycle);
            }
        }
        assertEquals(Collections.nCopies(ArmChoice.BLOCK, 2), arms.subList(0, ArmChoice.BLOCK));
        assertEquals(Collections.nCopies(ArmChoice.BLOCK, 0), arms.subList(ArmChoice.BLOCK, 2 * ArmChoice.BLOCK));
        assertEquals(2, plan.armOf(2 * ArmChoice.BLOCK));
        // Each block's first pass starts where the other arm left the text: not measured, nor the settling ones.
        assertTrue(measured.stream().noneMatch(c -> c % ArmChoice.BLOCK == 0 || c < DraftingRegime.SETTLE));
        assertEquals(DraftingRegime.STRETCH - DraftingRegime.STRETCH / ArmChoice.BLOCK - (DraftingRegime.SETTLE - 1),
                measured.size());
        assertEquals(3, alone(3).armOf(ArmChoice.BLOCK));
        assertTrue(alone(3).measures(ArmChoice.BLOCK), "alone, only the settling passes are not measured");
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
    void aForfeitedContestIsLostWithoutAPassAndWaitedOutLikeALoss() {
        ArmChoice choice = new ArmChoice(3, 2, 0);
        choice.ended(choice.next(), passes(1), new RateTally()); // arm 0 alone first
        assertEquals(contest(0, 1), choice.next());
        choice.forfeit(contest(0, 1));
        assertEquals(contest(0, 2), choice.next(), "the next arm never contested challenges right away");
        choice.forfeit(contest(0, 2));
        assertEquals(alone(0), choice.next());
        int stretches = 0;
        while (!choice.next().contest()) {
            choice.ended(choice.next(), passes(1), new RateTally());
            stretches++;
        }
        assertEquals(2 * DraftingRegime.FIRST_RECHECK, stretches, "a loser's first wait, doubled");
        assertEquals(contest(0, 1), choice.next());
        choice.forfeit(contest(0, 2)); // another decoder's stale plan
        assertEquals(contest(0, 1), choice.next(), "a forfeit of a contest not planned changes nothing");
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
        choice.ended(first, passes(1), new RateTally()); // arm 0 alone: arm 1 challenges next
        assertEquals(contest(0, 1), choice.next());
        choice.ended(first, passes(1), new RateTally()); // another decoder's stale stretch of arm 0 alone
        choice.ended(contest(0, 2), passes(1), passes(9)); // and a contest that is not the one planned
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
