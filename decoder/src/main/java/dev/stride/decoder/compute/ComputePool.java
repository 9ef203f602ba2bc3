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
 *
 * <p>Loops are numbered. The claim word is one atomic long, the current loop's number in the high half and its
 * count of unclaimed chunks in the low half, so a chunk can only be claimed while its own loop is current, and a
 * claimed chunk reads its loop's bounds only once it holds the claim. A worker late from an earlier loop cannot run
 * a chunk of the next one with the earlier loop's bounds or count a chunk towards the next loop's completion (that
 * race once let the caller return while a chunk was still being computed, in warm two-thread processes only).
 * A loop allocates nothing, and a spinning worker is not unparked: handing out a loop costs a few cache-line
 * transfers, not a fresh object and a call into the OS per worker.
 */
public final class ComputePool implements AutoCloseable {

    /** Body of a parallel loop: handles indices [start, end) on the thread numbered {@code worker}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end, int worker);
    }

    /**
     * Loops doing less work than this many multiply-adds of a one-row kernel run on the calling thread: handing one out
     * costs more than a second thread saves. (Kernels over several rows do about twice the multiply-adds a cycle of a
     * one-row kernel, so callers count theirs at half: see VectorOps.) Measured on AVX-512, 2 threads (JMH
     * MatmulBenchmark, float32 panels): 192x192 at 1 / 4 rows 1.4 / 1.7 µs on one thread against 2.0 / 2.7 µs on two,
     * 512x512 9.0 / 12.4 µs against 6.2 / 8.1. Demo decoding, thresholds alternated in one process (12 rounds,
     * medians): batch 1 plain 8,345-8,329 tokens/s at 2^15 against 8,681-9,077 here, chain:1 9,873-10,129 against
     * 10,259-10,409, batch 8 plain 22,059 against 24,126.
     */
    public static final long SERIAL_BELOW_MULTIPLY_ADDS = 1 << 17;
    /**
     * Enough for a thread to take over a late one's share; each more is another claim on a contended cache line. Demo
     * decoding, batch 1, two and four alternating in one process (25 rounds, medians, two runs): plain 1.040-1.044x,
     * chain:1 1.008-1.045x, chain:2 1.017-1.021x with two; batch 8 and 350M passes unchanged.
     */
    private static final int CHUNKS_PER_THREAD = 2;
    private static final int SPIN_ITERATIONS = 20_000;
    private static final long CHUNK_MASK = 0xFFFF_FFFFL;

    private final int threads;
    private final Thread[] workers;
    /** The current loop's number (high 32 bits) and how many of its chunks are unclaimed (low 32 bits). */
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger finishedChunks = new AtomicInteger();
    private final AtomicInteger parkedWorkers = new AtomicInteger();
    // The current loop: written before its number is published in claims, read by a thread holding a claim on it.
    private RangeBody body;
    private int count;
    private int chunks;
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
        int loopChunks = Math.min(count, threads * CHUNKS_PER_THREAD);
        this.body = body;
        this.count = count;
        this.chunks = loopChunks;
        failure = null;
        finishedChunks.set(0); // every chunk of the previous loop has counted: no late increment can follow
        long loop = (claims.get() >>> 32) + 1;
        claims.set(loop << 32 | loopChunks);
        // A worker counts itself parked before its last look at claims: one of the two sees the other's write.
        if (parkedWorkers.get() > 0) {
            for (Thread worker : workers) {
                LockSupport.unpark(worker);
            }
        }
        runChunks(loop, 0);
        for (int spins = 0; finishedChunks.get() < loopChunks; spins++) {
            if (spins < SPIN_ITERATIONS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.body = null; // the pool does not keep what the loop captured
        Throwable error = failure;
        if (error != null) {
            throw new IllegalStateException("compute thread failed: " + error, error);
        }
    }

    /** Claims and runs chunks of loop number {@code loop} until none are left or another loop is current. */
    private void runChunks(long loop, int worker) {
        while (true) {
            long claim = claims.get();
            int unclaimed = (int) (claim & CHUNK_MASK);
            if (claim >>> 32 != loop || unclaimed == 0) {
                return;
            }
            if (!claims.compareAndSet(claim, claim - 1)) {
                continue;
            }
            // Read only now: with a chunk of this loop claimed and not yet counted, the loop cannot end, so the
            // caller cannot be writing the next loop's fields. (Read before the claim, a worker could take the
            // next loop's bounds while the claim word still showed this one.)
            int loopChunks = chunks;
            int loopCount = count;
            int chunk = loopChunks - unclaimed;
            try {
                body.run((int) ((long) loopCount * chunk / loopChunks),
                        (int) ((long) loopCount * (chunk + 1) / loopChunks), worker);
            } catch (Throwable t) {
                failure = t;
            } finally {
                finishedChunks.incrementAndGet();
            }
        }
    }

    private void workLoop(int worker) {
        long seen = 0;
        while (true) {
            int spins = 0;
            long loop;
            while ((loop = claims.get() >>> 32) == seen && !closed) {
                if (++spins < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else {
                    parkedWorkers.incrementAndGet();
                    if (claims.get() >>> 32 == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parkedWorkers.decrementAndGet();
                    spins = 0;
                }
            }
            if (closed) {
                return;
            }
            seen = loop;
            runChunks(loop, worker);
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
