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
     * Handing a loop out pays when the work it takes off the calling thread is worth more than the hand-off: a fixed
     * cost (the claim word, the workers' wake-up, the finish count, the outputs coming back), which the first of these
     * constants states, plus the loop's inputs that the calling thread has just written, every cache line of which
     * crosses to another core; both in multiply-adds of a one-row kernel. (Kernels over several rows do about twice
     * the multiply-adds a cycle of a one-row kernel, so callers count theirs at half: see VectorOps.) The inputs are
     * counted up to {@link #INPUT_FLOATS_COUNTED}: a longer run of lines streams. The fixed cost, measured on AVX-512,
     * 2 threads (JMH MatmulBenchmark, float32 panels): 192x192 at 1 / 4 rows 1.4 / 1.7 µs on one thread against
     * 2.0 / 2.7 µs on two, 512x512 9.0 / 12.4 µs against 6.2 / 8.1. The inputs' cost, measured on the 2-vCPU AVX-512
     * VM (a cache line takes about 235 ns from one of its cores to the other: 470 ns a round trip), demo decoding,
     * one process alternating the rules (15 rounds, medians, against the fixed cost alone): 64 multiply-adds a float
     * made batch 1 plain 1.01x, chain:1 1.01x, chain:2 1.055x, chain:3 1.068x, batch 8 plain 1.15x (the down
     * projection's 512-float rows now stay on the calling thread at three rows and more; gate/up at one and two rows
     * is still handed out); 32 a float made chain:2 and chain:3 1.06x, 128 made chain:1 0.96x, and running everything
     * on the calling thread made batch 8 0.90x. Passes of 16 to 64 rows (demo, bench --pass-cost) stayed within their
     * noise with the inputs counted up to 4,096 floats; counted in full, 64 rows took 1.23x.
     */
    static final long HAND_OFF_MULTIPLY_ADDS = 1 << 16;
    static final long MULTIPLY_ADDS_PER_INPUT_FLOAT = 64;
    static final long INPUT_FLOATS_COUNTED = 4096;
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

    /**
     * Most threads a pool starts: beyond any CPU count this runs on, where more threads only wait; a count like
     * 2^31 - 1 would otherwise end in an OutOfMemoryError.
     */
    public static final int MAX_THREADS = 1024;

    /** The threads a {@code --threads} value asks for: the value itself, or {@link #defaultThreads()} for 0. */
    public static int threadsFor(int requested) {
        if (requested < 0 || requested > MAX_THREADS) {
            throw new IllegalArgumentException("--threads " + requested + ": expected 0 (all CPUs) to " + MAX_THREADS);
        }
        return requested > 0 ? requested : defaultThreads();
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs body over [0, count) as {@link #parallelFor(int, RangeBody)} does where that pays, otherwise on the calling
     * thread alone (as worker 0): see {@link #HAND_OFF_MULTIPLY_ADDS}. {@code multiplyAdds} is the loop's work, spread
     * evenly over its items; {@code inputFloats} how much of what it reads the calling thread has just written.
     */
    public void parallelFor(int count, long multiplyAdds, long inputFloats, RangeBody body) {
        if (handOffPays(count, multiplyAdds, inputFloats)) {
            parallelFor(count, body);
        } else {
            body.run(0, count, 0);
        }
    }

    /**
     * Whether the work other threads would take at best (the calling thread keeping the largest whole share of the
     * items: with two threads, a third of a three-item loop) outweighs handing the loop out.
     */
    boolean handOffPays(int count, long multiplyAdds, long inputFloats) {
        if (threads == 1 || count < 2) {
            return false;
        }
        int callerItems = (count + threads - 1) / threads;
        long spared = multiplyAdds / count * (count - callerItems);
        return spared >= HAND_OFF_MULTIPLY_ADDS
                + Math.min(inputFloats, INPUT_FLOATS_COUNTED) * MULTIPLY_ADDS_PER_INPUT_FLOAT;
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
