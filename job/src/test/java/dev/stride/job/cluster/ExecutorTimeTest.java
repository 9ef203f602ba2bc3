package dev.stride.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ExecutorTimeTest {

    private static final double EPS = 1e-9;

    @Test
    void aReplacedExecutorIsNotBilledTwice() {
        ExecutorTime time = new ExecutorTime();
        time.added("1", 0);
        time.removed("1", 10_000);
        time.added("2", 10_000);
        time.removed("2", 20_000);
        ExecutorTime.Totals totals = time.within(0, 20_000);
        assertEquals(20.0, totals.aliveSeconds(), EPS);
        assertEquals(10.0, totals.of("1").aliveSeconds(), EPS);
        assertEquals(10.0, totals.of("2").aliveSeconds(), EPS);
        assertEquals(0.0, totals.busySeconds(), EPS);
        assertEquals(0.0, totals.utilisation(), EPS);
    }

    @Test
    void overlappingTasksCountOnce() {
        ExecutorTime time = new ExecutorTime();
        time.added("1", 0);
        time.task("1", 1_000, 5_000);
        time.task("1", 2_000, 4_000);
        time.task("1", 4_500, 6_000);
        time.task("1", 8_000, 9_000);
        ExecutorTime.Totals totals = time.within(0, 10_000);
        assertEquals(10.0, totals.aliveSeconds(), EPS);
        assertEquals(6.0, totals.busySeconds(), EPS); // 1-6 and 8-9
        assertEquals(0.6, totals.utilisation(), EPS);
    }

    @Test
    void eventsOutsideTheRunWindowAreClipped() {
        ExecutorTime time = new ExecutorTime();
        time.added("1", -5_000); // added before the run
        time.task("1", -4_000, 2_000);
        time.task("1", 9_000, 15_000); // runs past the end
        time.added("2", 12_000); // added after the run
        time.task("2", 12_000, 13_000);
        ExecutorTime.Totals totals = time.within(0, 10_000);
        assertEquals(10.0, totals.of("1").aliveSeconds(), EPS);
        assertEquals(3.0, totals.of("1").busySeconds(), EPS);
        assertEquals(0.0, totals.of("2").aliveSeconds(), EPS);
        assertEquals(0.0, totals.of("2").busySeconds(), EPS);
        assertEquals(10.0, totals.aliveSeconds(), EPS);
        assertEquals(3.0, totals.busySeconds(), EPS);
    }

    @Test
    void executorsWithoutAnAddedEventLiveFromTheRunStart() {
        ExecutorTime time = new ExecutorTime();
        time.present("driver");
        time.task("driver", 2_000, 3_000);
        time.removed("7", 4_000); // there before the run, removed during it
        time.task("7", 1_000, 6_000); // a task end reported after the removal is cut at it
        ExecutorTime.Totals totals = time.within(0, 10_000);
        assertEquals(10.0, totals.of("driver").aliveSeconds(), EPS);
        assertEquals(1.0, totals.of("driver").busySeconds(), EPS);
        assertEquals(4.0, totals.of("7").aliveSeconds(), EPS);
        assertEquals(3.0, totals.of("7").busySeconds(), EPS);
        assertEquals(14.0, totals.aliveSeconds(), EPS);
    }

    @Test
    void nothingAliveHasNoUtilisation() {
        assertNull(new ExecutorTime().within(0, 10_000).utilisation());
    }
}
