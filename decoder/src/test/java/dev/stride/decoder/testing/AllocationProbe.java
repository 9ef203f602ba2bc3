package dev.stride.decoder.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.management.ManagementFactory;

/**
 * Whether code allocates once the JIT has compiled it. Before C2 every Vector API value is an object and escape
 * analysis has not run, so the probe calls the code in stretches until one stretch allocates nothing on the calling
 * thread, and fails at a deadline.
 */
public final class AllocationProbe {

    private static final long DEADLINE_NANOS = 60_000_000_000L;

    private AllocationProbe() {
    }

    /** Runs {@code calls} until 200 runs in a row allocate nothing on this thread; fails after 60 s. */
    public static void assertAllocationFree(String what, Runnable calls) {
        assertAllocatesLessThan(what, calls, 1);
    }

    /**
     * Runs {@code calls} until 200 runs in a row allocate fewer than {@code bytes} on this thread; fails after 60 s. A
     * bound above zero tolerates a rare allocation outside the code under test while still catching one per call.
     */
    public static void assertAllocatesLessThan(String what, Runnable calls, long bytes) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long allocated;
        do {
            for (int i = 0; i < 2_000; i++) {
                calls.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                calls.run();
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (allocated < bytes) {
                return;
            }
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail(what + ": 200 runs still allocated " + allocated + " bytes after " + DEADLINE_NANOS / 1_000_000_000
                + " s of warm-up");
    }
}
