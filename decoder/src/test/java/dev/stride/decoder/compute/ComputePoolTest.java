package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ComputePoolTest {

    /**
     * Back-to-back loops of varying sizes, each stamping every index with its loop number: when parallelFor returns,
     * every index must carry this loop's stamp, written exactly once. A worker late from the previous loop that
     * runs or counts a chunk of this one (the race the pool once had) leaves an index unstamped or stamped twice.
     */
    @Test
    void everyIndexIsDoneExactlyOnceBeforeParallelForReturns() {
        int maxCount = 64;
        int[] stamps = new int[maxCount];
        AtomicInteger[] visits = new AtomicInteger[maxCount];
        for (int i = 0; i < maxCount; i++) {
            visits[i] = new AtomicInteger();
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int threads = 2; threads <= 4; threads++) {
            try (ComputePool pool = new ComputePool(threads)) {
                for (int loop = 1; loop <= 100_000; loop++) {
                    int count = 2 + random.nextInt(maxCount - 1);
                    int stamp = loop;
                    int work = random.nextInt(4); // uneven chunk times: sometimes a worker lags
                    pool.parallelFor(count, (start, end, worker) -> {
                        for (int i = start; i < end; i++) {
                            busyWork(work * (worker + 1));
                            stamps[i] = stamp;
                            visits[i].incrementAndGet();
                        }
                    });
                    for (int i = 0; i < count; i++) {
                        if (stamps[i] != stamp || visits[i].getAndSet(0) != 1) {
                            throw new AssertionError("threads " + threads + ", loop " + loop + " of " + count
                                    + " indices: index " + i + " has stamp " + stamps[i] + " after "
                                    + "parallelFor returned (visits " + visits[i].get() + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailingChunkFailsTheLoopAndThePoolKeepsWorking() {
        try (ComputePool pool = new ComputePool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(16,
                    (start, end, worker) -> {
                        if (start == 0) {
                            throw new ArithmeticException("chunk failed");
                        }
                    }));
            assertTrue(e.getMessage().contains("chunk failed"), e.getMessage());
            AtomicInteger sum = new AtomicInteger();
            pool.parallelFor(100, (start, end, worker) -> sum.addAndGet(end - start));
            assertEquals(100, sum.get());
        }
    }

    /** Handing out a loop must not allocate: a decode pass runs dozens of them (each once cost an object). */
    @Test
    void aLoopAllocatesNothingOnTheCallingThread() {
        var threadBean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] chunksRun = new long[2];
        ComputePool.RangeBody body = (start, end, worker) -> chunksRun[worker]++;
        try (ComputePool pool = new ComputePool(2)) {
            for (int i = 0; i < 20_000; i++) {
                pool.parallelFor(16, body);
            }
            int loops = 10_000;
            long before = threadBean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < loops; i++) {
                pool.parallelFor(16, body);
            }
            long allocated = threadBean.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < loops, allocated + " bytes allocated by " + loops + " loops");
            assertEquals(4 * 30_000L, chunksRun[0] + chunksRun[1], "two threads, four chunks a loop, each run once");
        }
    }

    private static long sink;

    /** Loops not worth handing out run whole on the calling thread as worker 0; the others are handed out. */
    @Test
    void loopsThatDoNotPayForTheHandOffRunOnTheCallingThread() {
        try (ComputePool pool = new ComputePool(2)) {
            Thread caller = Thread.currentThread();
            int[] calls = new int[1];
            pool.parallelFor(16, 2 * ComputePool.HAND_OFF_MULTIPLY_ADDS - 16, 0, (start, end, worker) -> {
                assertEquals(caller, Thread.currentThread());
                assertEquals(0, worker);
                assertEquals(0, start);
                assertEquals(16, end);
                calls[0]++;
            });
            assertEquals(1, calls[0]);
            AtomicInteger chunks = new AtomicInteger();
            pool.parallelFor(16, 2 * ComputePool.HAND_OFF_MULTIPLY_ADDS, 0,
                    (start, end, worker) -> chunks.incrementAndGet());
            assertEquals(4, chunks.get(), "two threads, two chunks each");
        }
    }

    /**
     * The rule's terms: half the work of an even loop is spared, a third of a three-item loop's (the calling thread
     * keeps two items), and every input float up to the counted limit costs its multiply-adds.
     */
    @Test
    void handOffPaysWhenTheSparedWorkOutweighsItsFixedCostAndInputs() {
        long fixed = ComputePool.HAND_OFF_MULTIPLY_ADDS;
        long perFloat = ComputePool.MULTIPLY_ADDS_PER_INPUT_FLOAT;
        try (ComputePool two = new ComputePool(2); ComputePool one = new ComputePool(1);
             ComputePool four = new ComputePool(4)) {
            assertTrue(two.handOffPays(4, 2 * fixed, 0));
            assertFalse(two.handOffPays(4, 2 * fixed - 4, 0));
            assertFalse(two.handOffPays(3, 2 * fixed, 0), "a third of 2x the fixed cost");
            assertTrue(two.handOffPays(3, 3 * fixed, 0));
            assertTrue(four.handOffPays(8, 4 * fixed / 3 + 8, 0), "three quarters spared");
            assertFalse(two.handOffPays(1, 1000 * fixed, 0), "one item cannot be shared");
            assertFalse(one.handOffPays(16, 1000 * fixed, 0), "no other thread");
            long withInputs = 2 * (fixed + 100 * perFloat);
            assertTrue(two.handOffPays(4, withInputs, 100));
            assertFalse(two.handOffPays(4, withInputs, 101));
            long countedInputs = 2 * (fixed + ComputePool.INPUT_FLOATS_COUNTED * perFloat);
            assertTrue(two.handOffPays(4, countedInputs, 1L << 30), "inputs past the counted limit stream");
            assertFalse(two.handOffPays(4, countedInputs - 4, 1L << 30));
        }
    }

    private static void busyWork(int units) {
        long x = sink;
        for (int i = 0; i < units * 50; i++) {
            x = x * 6364136223846793005L + 1442695040888963407L;
        }
        sink = x;
    }
}
