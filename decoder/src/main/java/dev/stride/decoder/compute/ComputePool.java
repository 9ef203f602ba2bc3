package dev.stride.decoder.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A dedicated pool of compute threads for data-parallel loops. Each loop splits its index range into one fixed
 * contiguous chunk per thread; kernels compute every output element on exactly one thread, so results never
 * depend on the thread count. Workers spin briefly between loops (a decode step runs dozens of short loops back
 * to back) and park when idle.
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop: handles indices [start, end) on the thread numbered {@code worker}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    private static final int SPIN_ITERATIONS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile RangeBody body;
    private volatile int count;
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

    /** Runs body over [0, count) split across all threads; the caller takes chunk 0. */
    public synchronized void parallelFor(int count, RangeBody body) {
        if (threads == 1 || count < 2) {
            body.run(0, count, 0);
            return;
        }
        this.body = body;
        this.count = count;
        this.failure = null;
        pending.set(workers.length);
        generation.incrementAndGet();
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        try {
            body.run(0, chunkEnd(count, 0), 0);
        } finally {
            while (pending.get() > 0) {
                Thread.onSpinWait();
            }
            this.body = null;
        }
        Throwable error = failure;
        if (error != null) {
            throw new IllegalStateException("compute thread failed: " + error, error);
        }
    }

    private int chunkEnd(int count, int worker) {
        return (int) ((long) count * (worker + 1) / threads);
    }

    private void workLoop(int worker) {
        int seen = 0;
        while (true) {
            int spins = 0;
            while (generation.get() == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation.get();
            int n = count;
            try {
                body.run((int) ((long) n * worker / threads), chunkEnd(n, worker), worker);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
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
