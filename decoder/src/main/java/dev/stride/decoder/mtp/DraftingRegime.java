package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Whether {@code --tree auto} drafts at all, decided from measured throughput rather than from predicted cycle
 * costs. How it drafts (the cost model's trees or a chain) is its {@link ArmChoice}'s call, made the same way.
 * <p>
 * Predictions of a drafted cycle's cost went wrong on CPUs in the direction that kept {@code auto} plain where
 * {@code chain:1} won 14 % (the demo, AVX-512, batch 1): the first drafted cycle after plain ones runs with the heads'
 * weights out of cache and took two to five times a drafted cycle amid others, so drafting tried now and then looked
 * far dearer than drafting that goes on. So decoding runs in stretches of {@link #STRETCH} cycles, all plain or all
 * drafted; each stretch, less its first {@link #SETTLE} cycles (which pay for a switch), measures tokens per second,
 * with stalled cycles (a preempted thread, a collection) left out. The regime with the higher rate runs on: plain
 * decoding's is the mean of its last {@link #PLAIN_STRETCHES} stretches (a token per sequence and cycle, whatever the
 * text), drafting's the mean of its last {@link #DRAFTED_STRETCHES} since it last started (it follows the text: a
 * stretch of predictable text drafted at 9,000 tokens/s where plain decoding ran 7,000, a harder one at 5,000; a
 * measurement from other text judged a recheck wrongly). The losing regime is measured again after
 * {@link #FIRST_RECHECK} stretches, the wait doubling up to {@link #LAST_RECHECK} while it keeps losing, so that a
 * change in the text or in the machine is noticed at a cost of one stretch in five at first and one in sixty-five
 * later.
 * <p>
 * One engine keeps one for all its decoders (thread-safe): a decoder starts from what earlier decoders (earlier
 * Spark partitions, benchmark rounds) measured.
 */
public final class DraftingRegime {

    /** Cycles of one regime in a row. */
    static final int STRETCH = 32;
    /** First cycles of a stretch that are not measured: they pay for the switch from the other regime. */
    static final int SETTLE = 4;
    /** Stretches of the winning regime before the other is measured again, at first and at most. */
    static final int FIRST_RECHECK = 4;
    static final int LAST_RECHECK = 64;
    /** Stretches whose mean is a regime's rate. */
    static final int PLAIN_STRETCHES = 4;
    static final int DRAFTED_STRETCHES = 2;
    /** A cycle longer than this many times its stretch's median is a stall, not the regime's cost. */
    static final double STALL = 3;

    // Plain decoding yields a token per sequence and cycle whatever the text, so its rate is averaged over more
    // stretches; drafting's follows the text (how predictable it is), so it is averaged over fewer.
    private final Rate plain = new Rate(PLAIN_STRETCHES);
    private final Rate drafted = new Rate(DRAFTED_STRETCHES);
    private Boolean drafting; // null until the first stretch starts
    private ArmChoice draftedArms; // how drafted stretches draft, once a tree asks
    private boolean rechecking;
    private int stretchesSinceRecheck;
    private int recheckAfter = FIRST_RECHECK;

    /**
     * Whether the next stretch drafts. {@code modelPrefersDrafting} (the cost model's guess for the current pass)
     * decides the very first stretch only.
     */
    synchronized boolean nextStretchDrafts(boolean modelPrefersDrafting) {
        if (drafting == null) {
            drafting = modelPrefersDrafting;
        }
        return drafting;
    }

    /**
     * A stretch ended: its measured cycles took {@code seconds[i]} and yielded {@code tokens[i]}, i below
     * {@code count}. Decides the regime of the next stretch.
     */
    synchronized void stretchEnded(boolean draftedStretch, double[] seconds, int[] tokens, int count) {
        double rate = tokensPerSecond(seconds, tokens, count);
        if (!(rate > 0) || drafting == null) {
            return;
        }
        (draftedStretch ? drafted : plain).add(rate);
        if (draftedStretch != drafting) {
            return; // begun before another decoder's stretch switched the regime: measured, nothing to decide
        }
        Rate current = drafting ? drafted : plain;
        Rate other = drafting ? plain : drafted;
        if (other.unmeasured()) {
            switchRegime(true); // the first stretch of either regime: try the other one too
        } else if (current.value() >= other.value()) {
            if (rechecking) {
                rechecking = false; // the regime that had lost wins now: it stays, and the other is rechecked soon
                recheckAfter = FIRST_RECHECK;
            } else if (++stretchesSinceRecheck >= recheckAfter) {
                switchRegime(true);
            }
        } else {
            if (rechecking) {
                recheckAfter = Math.min(2 * recheckAfter, LAST_RECHECK); // it lost again: wait longer
            }
            switchRegime(false);
        }
    }

    /** How drafted stretches draft, among {@code arms} ways (the same number for every tree of an engine). */
    synchronized ArmChoice draftedArms(int arms) {
        if (draftedArms == null) {
            draftedArms = new ArmChoice(arms);
        }
        return draftedArms;
    }

    /** Whether the regime drafts now (for tests and logs); false before the first stretch. */
    synchronized boolean drafting() {
        return Boolean.TRUE.equals(drafting);
    }

    private void switchRegime(boolean recheck) {
        drafting = !drafting;
        if (drafting) {
            drafted.clear(); // measured on other text: how well drafting does now is for its new stretches to say
        }
        rechecking = recheck;
        stretchesSinceRecheck = 0;
    }

    /** Tokens over seconds of the cycles that did not stall. */
    static double tokensPerSecond(double[] seconds, int[] tokens, int count) {
        if (count == 0) {
            return 0;
        }
        double[] sorted = Arrays.copyOf(seconds, count);
        Arrays.sort(sorted);
        double limit = STALL * sorted[count / 2];
        double time = 0;
        long yielded = 0;
        for (int i = 0; i < count; i++) {
            if (seconds[i] <= limit) {
                time += seconds[i];
                yielded += tokens[i];
            }
        }
        return time > 0 ? yielded / time : 0;
    }

    /** A regime's throughput: the mean of its last few stretches (one stretch is a few milliseconds of noise). */
    private static final class Rate {
        private final double[] recent;
        private int count;

        Rate(int stretches) {
            this.recent = new double[stretches];
        }

        void add(double rate) {
            recent[count++ % recent.length] = rate;
        }

        void clear() {
            count = 0;
        }

        boolean unmeasured() {
            return count == 0;
        }

        double value() {
            int n = Math.min(count, recent.length);
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += recent[i];
            }
            return sum / n;
        }
    }
}
