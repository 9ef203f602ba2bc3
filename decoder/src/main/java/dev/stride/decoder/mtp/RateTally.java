package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Tokens per second of a set of decode cycles, with its standard error: the sums a ratio estimate needs (rate =
 * tokens / seconds; its variance from the spread of each cycle's tokens less rate x seconds), so that tallies of
 * several stretches add up. Cycles that stalled (longer than {@link #STALL} times their stretch's median: a
 * preempted thread, a collection) are left out.
 */
final class RateTally {

    /** A cycle longer than this many times its stretch's median is a stall, not the way's cost. */
    static final double STALL = 3;

    private int cycles;
    private double tokens;
    private double seconds;
    private double tokensSquared;
    private double tokensSeconds;
    private double secondsSquared;

    /** The tally of the first {@code count} cycles, less those that stalled. */
    static RateTally of(double[] seconds, double[] tokens, int count) {
        RateTally tally = new RateTally();
        if (count == 0) {
            return tally;
        }
        double[] sorted = Arrays.copyOf(seconds, count);
        Arrays.sort(sorted);
        double limit = STALL * sorted[count / 2];
        for (int i = 0; i < count; i++) {
            if (seconds[i] <= limit) {
                tally.add(seconds[i], tokens[i]);
            }
        }
        return tally;
    }

    void add(double cycleSeconds, double cycleTokens) {
        cycles++;
        tokens += cycleTokens;
        seconds += cycleSeconds;
        tokensSquared += cycleTokens * cycleTokens;
        tokensSeconds += cycleTokens * cycleSeconds;
        secondsSquared += cycleSeconds * cycleSeconds;
    }

    void addAll(RateTally other) {
        cycles += other.cycles;
        tokens += other.tokens;
        seconds += other.seconds;
        tokensSquared += other.tokensSquared;
        tokensSeconds += other.tokensSeconds;
        secondsSquared += other.secondsSquared;
    }

    void clear() {
        cycles = 0;
        tokens = seconds = tokensSquared = tokensSeconds = secondsSquared = 0;
    }

    /** Tokens per second; 0 without a measured cycle. */
    double rate() {
        return seconds > 0 ? tokens / seconds : 0;
    }

    /** The rate's variance: n / (n - 1) x the sum of (tokens - rate x seconds)^2 over cycles, over seconds^2. */
    double variance() {
        if (cycles < 2) {
            return Double.POSITIVE_INFINITY;
        }
        double r = rate();
        double spread = Math.max(0, tokensSquared - 2 * r * tokensSeconds + r * r * secondsSquared);
        return cycles * spread / ((cycles - 1) * seconds * seconds);
    }
}
