package dev.stride.decoder.mtp;

/**
 * How {@code --tree auto} decodes: plainly or in one of a few ways of drafting, chosen by measured throughput rather
 * than by predicted cycle costs, and shared by every decoder of an engine (earlier Spark partitions and benchmark
 * rounds hand their measurements on). Thread-safe.
 * <p>
 * Decoding runs in stretches of {@link #STRETCH} cycles; a stretch runs the current way alone or, in a contest,
 * alternates it with a challenger in blocks of a few passes ({@link ArmChoice}); its first {@link #SETTLE} cycles
 * are not measured, and stalled cycles (a preempted thread, a collection) are left out. Contests replaced
 * comparisons of whole stretches measured apart: on this 2-core VM a plain stretch's rate moved 5,900-8,300
 * tokens/s from one stretch to the next, so a single drafted recheck often lost to plain decoding's mean and
 * {@code auto} then decoded plainly for dozens of stretches where drafting made 25 % more. Alternated within a
 * stretch, both ways see the same machine and nearly the same text, and switching costs nothing measurable (a
 * drafted pass after a plain one: chain:1 and chain:2 on the demo, 208 against 206 and 229 against 229 µs). A
 * challenger that lost contests again after {@link #FIRST_RECHECK} stretches of the current way, the wait doubling
 * up to {@link #LAST_RECHECK} while it keeps losing.
 */
public final class DraftingRegime {

    /** Cycles of one plan in a row. */
    static final int STRETCH = 32;
    /** First cycles of a stretch that are not measured: they may pay for a switch of ways. */
    static final int SETTLE = 4;
    /** Stretches of the current way before a loser contests again, at first and at most. */
    static final int FIRST_RECHECK = 4;
    static final int LAST_RECHECK = 64;

    private final int firstArm;
    private ArmChoice arms;

    /** A regime that starts decoding plainly. */
    public DraftingRegime() {
        this(CostAwareTree.PLAIN);
    }

    /** A regime whose first stretch runs {@code firstArm} (tests). */
    DraftingRegime(int firstArm) {
        this.firstArm = firstArm;
    }

    /** The choice among {@code count} ways of decoding (the same number for every tree of an engine). */
    synchronized ArmChoice arms(int count) {
        if (arms == null) {
            arms = new ArmChoice(count, CostAwareTree.ENTRY_ARMS, firstArm);
        }
        return arms;
    }
}
