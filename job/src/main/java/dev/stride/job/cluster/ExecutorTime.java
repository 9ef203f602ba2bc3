package dev.stride.job.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Executor-seconds from the cluster's own record ({@link ExecutorListener}): how long each executor was alive and busy
 * within the run's window.
 *
 * <p>Alive: from its added event (or the run's start, when it was added before the run or, like local mode's
 * {@code driver}, has no added event) to its removed event (or the run's end), clipped to the run's window; an
 * executor removed and added again counts each life once. Busy: the union of its tasks' intervals (launch to finish),
 * clipped to its alive time, so an executor is busy while at least one of its tasks runs, however many task slots it
 * has; overlapping tasks count once. Utilisation is busy / alive over all executors.
 */
public final class ExecutorTime {

    /** A half-open interval in epoch milliseconds. */
    public record Interval(long startMillis, long endMillis) {
    }

    /** One executor's seconds alive and busy within the run. */
    public record Figures(String executor, double aliveSeconds, double busySeconds) {
    }

    /** Every executor's figures, ordered by id, and their totals. */
    public record Totals(List<Figures> executors, double aliveSeconds, double busySeconds) {

        /** busy / alive; null when nothing was alive. */
        public Double utilisation() {
            return aliveSeconds == 0 ? null : busySeconds / aliveSeconds;
        }

        public Figures of(String executor) {
            return executors.stream().filter(f -> f.executor().equals(executor)).findFirst().orElse(null);
        }
    }

    private final Map<String, List<Long>> added = new TreeMap<>();
    private final Map<String, List<Long>> removed = new TreeMap<>();
    private final Map<String, List<Interval>> tasks = new TreeMap<>();
    private final Set<String> known = new TreeSet<>();

    /** An executor that was there before the run's first event (alive from the run's start unless added later). */
    public synchronized void present(String executor) {
        known.add(executor);
    }

    public synchronized void added(String executor, long millis) {
        known.add(executor);
        added.computeIfAbsent(executor, e -> new ArrayList<>()).add(millis);
    }

    public synchronized void removed(String executor, long millis) {
        known.add(executor);
        removed.computeIfAbsent(executor, e -> new ArrayList<>()).add(millis);
    }

    public synchronized void task(String executor, long startMillis, long endMillis) {
        known.add(executor);
        tasks.computeIfAbsent(executor, e -> new ArrayList<>()).add(new Interval(startMillis, endMillis));
    }

    /** The figures within [runStart, runEnd]. */
    public synchronized Totals within(long runStart, long runEnd) {
        List<Figures> figures = new ArrayList<>();
        double alive = 0;
        double busy = 0;
        for (String executor : known) {
            List<Interval> lives = clip(lives(executor, runStart, runEnd), runStart, runEnd);
            List<Interval> work = new ArrayList<>();
            for (Interval life : lives) {
                work.addAll(clip(tasks.getOrDefault(executor, List.of()), life.startMillis(), life.endMillis()));
            }
            double aliveSeconds = unionMillis(lives) / 1000.0;
            double busySeconds = unionMillis(work) / 1000.0;
            figures.add(new Figures(executor, aliveSeconds, busySeconds));
            alive += aliveSeconds;
            busy += busySeconds;
        }
        return new Totals(List.copyOf(figures), alive, busy);
    }

    /**
     * The executor's lives: each added event opens one (closed by the next removed event after it, else the run's
     * end); a removed event with no added event before it closes a life that began at the run's start.
     */
    private List<Interval> lives(String executor, long runStart, long runEnd) {
        List<long[]> events = new ArrayList<>(); // {time, +1 added / -1 removed}
        added.getOrDefault(executor, List.of()).forEach(t -> events.add(new long[] {t, 1}));
        removed.getOrDefault(executor, List.of()).forEach(t -> events.add(new long[] {t, -1}));
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> -e[1]));
        List<Interval> lives = new ArrayList<>();
        Long since = events.isEmpty() || events.get(0)[1] < 0 ? Long.valueOf(Math.min(runStart,
                events.isEmpty() ? runStart : events.get(0)[0])) : null;
        for (long[] event : events) {
            if (event[1] > 0) {
                if (since == null) {
                    since = event[0];
                }
            } else if (since != null) {
                lives.add(new Interval(since, event[0]));
                since = null;
            }
        }
        if (since != null) {
            lives.add(new Interval(since, Math.max(runEnd, since)));
        }
        return lives;
    }

    private static List<Interval> clip(List<Interval> intervals, long from, long to) {
        List<Interval> clipped = new ArrayList<>();
        for (Interval interval : intervals) {
            long start = Math.max(interval.startMillis(), from);
            long end = Math.min(interval.endMillis(), to);
            if (end > start) {
                clipped.add(new Interval(start, end));
            }
        }
        return clipped;
    }

    static long unionMillis(List<Interval> intervals) {
        List<Interval> sorted = new ArrayList<>(intervals);
        sorted.sort(Comparator.comparingLong(Interval::startMillis));
        long total = 0;
        long coveredUntil = Long.MIN_VALUE;
        for (Interval interval : sorted) {
            long start = Math.max(interval.startMillis(), coveredUntil);
            if (interval.endMillis() > start) {
                total += interval.endMillis() - start;
            }
            coveredUntil = Math.max(coveredUntil, interval.endMillis());
        }
        return total;
    }
}
