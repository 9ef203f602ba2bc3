package dev.stride.decoder.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A dedicated pool of compute threads for data-parallel loops. A loop's index range is cut into a few more chunks
 * than threads, and whichever threads are running claim chunks until none are left: a worker the OS has not
 * scheduled (a busy machine, a shared executor) delays nobody, because the others take its share. Kernels compute
 * every output element within one chunk, so results never depend on which thread ran it or how many there are.
 * Workers spin briefly between loops (a decode step runs dozens of short loops back to back) and then park.
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop: handles indices [start, end) on the thread numbered {@code worker}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    private static final int CHUNKS_PER_THREAD = 4;
    private static final int SPIN_ITERATIONS = 20_000;

    private final int threads;
    private final Thread[] workers;
    /** (generation << 32) | next unclaimed chunk: a claim is only valid for the loop it was made in. */
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger finished = new AtomicInteger();
    private volatile RangeBody body;
    private volatile int count;
    private volatile int chunks;
    private volatile Throwable failure;
    private volatile boolean closed;

    public ComputePool(int threads) {
        if (threads <= 0) {
            throw new IllegalArgumentException("threads must be > 0, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            workers[i] = new Thread(() -> workLoop(worker), "stride-compute-" + worker);
            workers[i].setDaemon(true);
            workers[i].start();
        }
    }

    /** Threads available to compute; physical cores are not visible to Java, so this defaults to logical CPUs. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /** Runs body over [0, count) on every thread that is free to help; the caller takes part. */
    public synchronized void parallelFor(int count, RangeBody body) {
        if (threads == 1 || count < 2) {
            body.run(0, count, 0);
            return;
        }
        long generation = (claims.get() >>> 32) + 1;
        this.body = body;
        this.count = count;
        this.chunks = Math.min(count, threads * CHUNKS_PER_THREAD);
        this.failure = null;
        finished.set(0);
        claims.set(generation << 32);
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        runChunks(generation, 0);
        for (int spins = 0; finished.get() < chunks; spins++) {
            if (spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.body = null;
        Throwable error = failure;
        if (error != null) {
            throw new IllegalStateException("compute thread failed: " + error, error);
        }
    }

    /** Claims and runs chunks of the given loop until none are left. */
    private void runChunks(long generation, int worker) {
        while (true) {
            long state = claims.get();
            int chunk = (int) state;
            if (state >>> 32 != generation || chunk >= chunks) {
                return;
            }
            if (!claims.compareAndSet(state, state + 1)) {
                continue;
            }
            // The claim pins this loop: the caller cannot start another until this chunk is finished.
            int n = count;
            int total = chunks;
            try {
                body.run((int) ((long) n * chunk / total), (int) ((long) n * (chunk + 1) / total), worker);
            } catch (Throwable t) {
                failure = t;
            } finally {
                finished.incrementAndGet();
            }
        }
    }

    private void workLoop(int worker) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long generation;
            while ((generation = claims.get() >>> 32) == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            runChunks(generation, worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}
