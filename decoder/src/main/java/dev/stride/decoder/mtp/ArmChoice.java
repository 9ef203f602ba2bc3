package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Which of a few ways of drafting runs in {@code auto}'s drafted stretches, chosen by measured tokens per second
 * as {@link DraftingRegime} chooses between plain and drafted stretches: the arm with the best rate (the mean of its
 * last {@link DraftingRegime#DRAFTED_STRETCHES} stretches) runs; an arm never measured is tried next; every other arm
 * is tried again after {@link DraftingRegime#FIRST_RECHECK} stretches, the wait doubling up to
 * {@link DraftingRegime#LAST_RECHECK} while it keeps losing. Arm 0 is the first to run. Thread-safe.
 */
final class ArmChoice {

    private final double[][] recent;
    private final int[] measured;
    private final int[] waitFor;
    private final int[] waited;
    private int current;
    private int trial = -1;

    ArmChoice(int arms) {
        this.recent = new double[arms][DraftingRegime.DRAFTED_STRETCHES];
        this.measured = new int[arms];
        this.waitFor = new int[arms];
        this.waited = new int[arms];
        Arrays.fill(waitFor, DraftingRegime.FIRST_RECHECK);
    }

    /** The arm the next drafted stretch runs. */
    synchronized int next() {
        return trial >= 0 ? trial : current;
    }

    /** A drafted stretch of {@code arm} measured {@code rate} tokens per second; decides the next one. */
    synchronized void ended(int arm, double rate) {
        if (!(rate > 0)) {
            return;
        }
        recent[arm][measured[arm]++ % recent[arm].length] = rate;
        if (arm != next()) {
            return; // begun before another decoder's stretch moved on: measured, nothing to decide
        }
        if (trial >= 0) {
            if (rate(trial) > rate(current)) {
                waitFor[current] = DraftingRegime.FIRST_RECHECK;
                waited[current] = 0;
                current = trial;
            } else {
                waitFor[trial] = Math.min(2 * waitFor[trial], DraftingRegime.LAST_RECHECK);
            }
            trial = -1;
            return;
        }
        int due = -1;
        for (int a = 0; a < recent.length; a++) {
            if (a != current) {
                waited[a]++;
                if (due < 0 && (measured[a] == 0 || waited[a] >= waitFor[a])) {
                    due = a; // never measured, or its wait is over: the lowest such arm first
                }
            }
        }
        if (due >= 0) {
            measured[due] = 0; // judged on its new stretch, not on text it met long ago
            waited[due] = 0;
            trial = due;
        }
    }

    private double rate(int arm) {
        int n = Math.min(measured[arm], recent[arm].length);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += recent[arm][i];
        }
        return n == 0 ? 0 : sum / n;
    }
}
