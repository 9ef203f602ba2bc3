package dev.stride.decoder.compute;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A dedicated pool of compute threads for data-parallel loops. A loop's index range is cut into a few more chunks
 * than threads, and whichever threads are running claim chunks until none are left: a worker the OS has not
 * scheduled (a busy machine, a shared executor) delays nobody, because the others take its share. Kernels compute
 * every output element within one chunk, so results never depend on which thread ran it or how many there are.
 * Workers spin briefly between loops (a decode step runs dozens of short loops back to back) and then park.
 *
 * <p>Each loop is its own {@link Loop} object, with its own claim and completion counters, published whole. A
 * worker late from an earlier loop can only claim from that loop's exhausted counter: it can neither run a chunk of
 * the next loop with the earlier loop's bounds nor count a chunk towards the next loop's completion. (Loop
 * parameters once lived in fields of the pool, set one by one; a late worker could see the new chunk count beside
 * the old claim counter, and its completion let the caller return while a chunk was still being computed: the
 * next kernel read half-written activations, in warm two-thread processes only.)
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop: handles indices [start, end) on the thread numbered {@code worker}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    /**
     * Loops doing fewer multiply-adds than this run on the calling thread: handing one out costs more than a second
     * thread saves. A parallel loop costs 0.6-0.8 µs even with empty chunks; measured on AVX-512, 2 threads (JMH
     * MatmulBenchmark, float32 panels): 192x192 at 1 / 4 rows 1.4 / 1.7 µs on one thread against 2.0 / 2.7 µs on two,
     * 512x512 9.0 / 12.4 µs against 6.2 / 8.1. Demo decoding, thresholds alternated in one process (12 rounds,
     * medians): batch 1 plain 8,345-8,329 tokens/s at 2^15 against 8,681-9,077 here, chain:1 9,873-10,129 against
     * 10,259-10,409, batch 8 plain 22,059 against 24,126.
     */
    public static final long SERIAL_BELOW_MULTIPLY_ADDS = 1 << 17;
    private static final int CHUNKS_PER_THREAD = 4;
    private static final int SPIN_ITERATIONS = 20_000;

    /** One parallel loop: immutable bounds and body, and counters that belong to this loop alone. */
    private static final class Loop {
        final RangeBody body;
        final int count;
        final int chunks;
        final AtomicInteger nextChunk = new AtomicInteger();
        final AtomicInteger finishedChunks = new AtomicInteger();
        volatile Throwable failure;

        Loop(RangeBody body, int count, int chunks) {
            this.body = body;
            this.count = count;
            this.chunks = chunks;
        }

        /** Claims and runs chunks until none are left; returns at once for a loop whose chunks are all claimed. */
        void runChunks(int worker) {
            for (int chunk; (chunk = nextChunk.getAndIncrement()) < chunks; ) {
                try {
                    body.run((int) ((long) count * chunk / chunks), (int) ((long) count * (chunk + 1) / chunks),
                            worker);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    finishedChunks.incrementAndGet();
                }
            }
        }

        boolean done() {
            return finishedChunks.get() >= chunks;
        }
    }

    private final int threads;
    private final Thread[] workers;
    private volatile Loop current;
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

    /**
     * Runs body over [0, count) as {@link #parallelFor(int, RangeBody)} does, or on the calling thread alone (as worker
     * 0) when the loop does fewer than {@link #SERIAL_BELOW_MULTIPLY_ADDS} multiply-adds.
     */
    public void parallelFor(int count, long multiplyAdds, RangeBody body) {
        if (multiplyAdds < SERIAL_BELOW_MULTIPLY_ADDS) {
            body.run(0, count, 0);
        } else {
            parallelFor(count, body);
        }
    }

    /** Runs body over [0, count) on every thread that is free to help; the caller takes part. */
    public synchronized void parallelFor(int count, RangeBody body) {
        if (threads == 1 || count < 2) {
            body.run(0, count, 0);
            return;
        }
        Loop loop = new Loop(body, count, Math.min(count, threads * CHUNKS_PER_THREAD));
        current = loop;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        loop.runChunks(0);
        for (int spins = 0; !loop.done(); spins++) {
            if (spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable error = loop.failure;
        if (error != null) {
            throw new IllegalStateException("compute thread failed: " + error, error);
        }
    }

    private void workLoop(int worker) {
        Loop seen = null;
        while (true) {
            int spins = 0;
            Loop loop;
            while ((loop = current) == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = loop;
            loop.runChunks(worker);
        }
    }

    @Override
    public void close() {
        closed = true;
        current = null;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
    }
}
