package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The best fixed tree of a sweep, picked on the other rounds and scored on its own. */
class HeldOutBestTest {

    /** One lucky round makes a tree's median no larger, but the held-out pick sees it as luck. */
    @Test
    void scoresEachRoundWithTheTreePickedOnTheOthers() {
        double[][] ratios = {
            {1.5, 1.0, 1.0}, // a: round 0 was lucky
            {1.1, 1.1, 1.1}, // b: steady
        };
        // Round 0 picks b (a's other rounds: 1.0), rounds 1 and 2 pick a (median of 1.5 and 1.0: 1.25).
        HeldOutBest best = HeldOutBest.of(List.of("a", "b"), ratios);
        assertEquals(1.0, best.speedup(), 1e-12);
        assertEquals(Map.of("a", 2, "b", 1), best.picks());
    }

    @Test
    void aTreeAheadInEveryRoundIsPickedEveryTime() {
        double[][] ratios = {{1.2, 1.3, 1.1, 1.25}, {1.0, 1.1, 1.0, 1.2}, {0.9, 0.8, 0.95, 1.0}};
        HeldOutBest best = HeldOutBest.of(List.of("chain:1", "chain:2", "nodes:4"), ratios);
        assertEquals(HeldOutBest.median(ratios[0]), best.speedup(), 1e-12);
        assertEquals(Map.of("chain:1", 4), best.picks());
    }

    /**
     * Equal trees with noise: the largest median is biased upwards, the held-out pick is not (its expectation is
     * the trees' common mean).
     */
    @Test
    void isNotBiasedUpwardsAmongNoisyTies() {
        Random random = new Random(11);
        double largestMedians = 0;
        double heldOut = 0;
        int sweeps = 400;
        for (int s = 0; s < sweeps; s++) {
            double[][] ratios = new double[4][5];
            double largest = 0;
            for (double[] tree : ratios) {
                for (int r = 0; r < tree.length; r++) {
                    tree[r] = 1.3 + 0.1 * random.nextGaussian();
                }
                largest = Math.max(largest, HeldOutBest.median(tree));
            }
            largestMedians += largest / sweeps;
            heldOut += HeldOutBest.of(List.of("a", "b", "c", "d"), ratios).speedup() / sweeps;
        }
        assertEquals(1.3, heldOut, 0.01);
        assertTrue(largestMedians > 1.3 + 0.03, "four noisy medians' largest, about one of their spreads up: "
                + largestMedians);
    }

    @Test
    void needsTwoRounds() {
        assertThrows(IllegalArgumentException.class, () -> HeldOutBest.of(List.of("a"), new double[][] {{1.2}}));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(2.0, HeldOutBest.median(new double[] {3, 1, 2}), 0.0);
        assertEquals(2.5, HeldOutBest.median(new double[] {4, 1, 3, 2}), 0.0);
    }
}
