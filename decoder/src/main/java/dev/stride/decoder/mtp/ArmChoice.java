package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Which of a few ways of decoding ("arms": plain decoding and ways of drafting) runs, chosen by contests measured
 * side by side (see {@link DraftingRegime}): a contest alternates the current arm and a challenger in blocks of
 * {@link #BLOCK} passes, for one to {@link #LONGEST_CONTEST} stretches: the challenger takes over as soon as its
 * rate is higher by {@link #WIN} standard errors, loses as soon as it is lower by {@link #LOSE}, and otherwise the
 * higher rate over the longest contest wins. One stretch gives each arm 11-14 measured passes, whose tokens vary
 * with the text (1 to 4 for chain:3), so one stretch's rate carries 10-20 % of noise: decided on one stretch, a way
 * of drafting 10 % slower won one contest in five (simulated; now 3 %, and a 10 % faster one wins 95 %), while a
 * clearly worse one still loses in a stretch or two. (CostAwareTree now credits plain decoding and the chains with
 * their expected tokens, which leaves them only the pass times' noise; the estimate's trees keep the text's.) An
 * arm never contested is the next challenger, right after the previous contest; a challenger that lost waits
 * {@link DraftingRegime#FIRST_RECHECK} stretches of the current arm alone before its next contest, the wait doubling
 * up to {@link DraftingRegime#LAST_RECHECK} while it keeps losing.
 * The first arm runs the first stretch alone.
 * <p>
 * Arm {@link #PLAIN} (0) is plain decoding, and while it runs only the first {@code entryArms} arms after it
 * challenge it: the others (deeper chains) cannot beat it where a shallower one does not, as long as a pass costs at
 * least its rows' share (chain:2 yields a1 * a2 more tokens than chain:1 for another row and head level, and
 * a2 <= 1). On a full batch, where plain decoding wins, that halves the passes lost to contests (12 % of a
 * benchmark's cycles went to challengers with every arm contesting). Thread-safe: an engine's decoders share one.
 */
final class ArmChoice {

    /**
     * How a stretch decodes: {@code current} alone, or alternating with {@code challenger} when that is not
     * {@link #NONE}.
     */
    record Plan(int current, int challenger) {

        boolean contest() {
            return challenger != NONE;
        }

        /**
         * The arm that drafts the stretch's {@code cycle}-th pass: contests give the challenger every other block of
         * {@link #BLOCK} passes.
         */
        int armOf(int cycle) {
            return contest() && cycle / BLOCK % 2 == 1 ? challenger : current;
        }

        /**
         * Whether the stretch's {@code cycle}-th pass measures its arm: not among the stretch's first
         * {@link DraftingRegime#SETTLE}, nor, in a contest, the first of a block (it starts where the other arm left
         * the text).
         */
        boolean measures(int cycle) {
            return cycle >= DraftingRegime.SETTLE && (!contest() || cycle % BLOCK != 0);
        }
    }

    static final int NONE = -1;
    /** The arm that decodes plainly. */
    static final int PLAIN = 0;
    /**
     * Passes of one arm in a row within a contest, the first of which is not measured. Alternated pass by pass, each
     * pass starts where the other arm's stopped, and a deeper chain, which uses up a predictable run of text, leaves
     * the other arm the harder places: a bias that blurs the difference between ways of drafting (suspected, not
     * proven: pass-by-pass contests measured chain:1, chain:2 and chain:3 within 5 % of each other where, as fixed
     * trees, chain:3 ran 10-15 % slower than chain:2; in blocks they still measure within 3 %).
     */
    static final int BLOCK = 8;
    /** Standard errors of the difference by which a challenger wins, and loses, before the longest contest ends. */
    static final double WIN = 2;
    static final double LOSE = 1;
    /** Stretches after which a contest ends: the higher rate wins, a tie keeps the current arm. */
    static final int LONGEST_CONTEST = 8;

    private final int entryArms;
    private final boolean[] contested;
    private final int[] waitFor;
    private final int[] waited;
    private int current;
    private int challenger = NONE;
    // The contest under way: its stretches so far and both arms' tallies over them.
    private int contestStretches;
    private final RateTally currentTally = new RateTally();
    private final RateTally challengerTally = new RateTally();

    ArmChoice(int arms, int entryArms, int first) {
        this.entryArms = entryArms;
        this.current = first;
        this.contested = new boolean[arms];
        this.waitFor = new int[arms];
        this.waited = new int[arms];
        Arrays.fill(waitFor, DraftingRegime.FIRST_RECHECK);
    }

    /** How the next stretch decodes. */
    synchronized Plan next() {
        return new Plan(current, challenger);
    }

    /**
     * A stretch that ran {@code plan} ended: its current arm's passes measured {@code currentPasses} and, in a
     * contest, the challenger's {@code challengerPasses}. Decides the next plan.
     */
    synchronized void ended(Plan plan, RateTally currentPasses, RateTally challengerPasses) {
        if (plan.current() != current || plan.challenger() != challenger || !(currentPasses.rate() > 0)) {
            return; // begun before another decoder's stretch moved on, or nothing measured: decides nothing
        }
        if (!plan.contest()) {
            for (int arm = 0; arm < waited.length; arm++) {
                waited[arm]++;
            }
            scheduleContest();
            return;
        }
        contestStretches++;
        currentTally.addAll(currentPasses);
        challengerTally.addAll(challengerPasses);
        double lead = challengerTally.rate() - currentTally.rate();
        double error = Math.sqrt(challengerTally.variance() + currentTally.variance());
        boolean clearWin = lead > WIN * error;
        boolean closeWin = contestStretches == LONGEST_CONTEST && lead > 0;
        if (!clearWin && !closeWin && lead >= -LOSE * error && contestStretches < LONGEST_CONTEST) {
            return; // undecided: the contest goes on
        }
        decide(clearWin || closeWin ? current : challenger, clearWin);
    }

    /**
     * The challenger of {@code plan} gives up its contest without running a pass (its decoder's costs say it
     * cannot come near the current arm at that batch): it loses as a beaten challenger does, and waits.
     */
    synchronized void forfeit(Plan plan) {
        if (plan.current() != current || plan.challenger() != challenger || !plan.contest()) {
            return;
        }
        decide(challenger, false);
    }

    /** Ends the contest under way: {@code loser} (the current arm or the challenger) waits, the other is current. */
    private void decide(int loser, boolean clearWin) {
        contested[current] = true;
        contested[challenger] = true;
        // A current arm beaten clearly may have met a change (of text, of machine) that passes: it contests again
        // soon. Any other loser waits twice as long as the challenger had: near-ties would otherwise take turns
        // in long contests that cannot decide them.
        waitFor[loser] = clearWin ? DraftingRegime.FIRST_RECHECK
                : Math.min(2 * waitFor[challenger], DraftingRegime.LAST_RECHECK);
        waited[loser] = 0;
        if (loser == current) {
            current = challenger;
        }
        scheduleContest(); // an arm never contested (or overdue) challenges right away
    }

    /** The lowest arm never contested, else the lowest whose wait is over, challenges next. */
    private void scheduleContest() {
        challenger = NONE;
        contestStretches = 0;
        currentTally.clear();
        challengerTally.clear();
        for (int arm = 0; arm < contested.length && challenger == NONE; arm++) {
            if (mayChallenge(arm) && !contested[arm]) {
                challenger = arm;
            }
        }
        for (int arm = 0; arm < contested.length && challenger == NONE; arm++) {
            if (mayChallenge(arm) && waited[arm] >= waitFor[arm]) {
                challenger = arm;
            }
        }
    }

    private boolean mayChallenge(int arm) {
        return arm != current && (current != PLAIN || arm <= entryArms);
    }
}
