package dev.stride.decoder.forward;

import java.util.logging.Logger;

/**
 * The heap the CPU backend's KV caches may take: what the requested budget asks, at most what the heap has left
 * once the model is loaded, less a reserve for the passes' activations and logits. A budget past the heap (the
 * default 2 GiB beside a model in a 4 GB executor) let caches be allocated until the JVM died of OutOfMemoryError,
 * taking every sequence of every task on it; within the heap, a request that cannot fit fails alone, naming the budget.
 */
final class HeapRoom {

    /** Kept free for activations and logits: the larger of this and an eighth of the heap. */
    static final long MIN_RESERVE = 256L << 20;

    private static final Logger LOG = Logger.getLogger(HeapRoom.class.getName());

    private HeapRoom() {
    }

    /**
     * {@code requestedBytes}, or less where the heap is short. Measured after a collection (requested once per
     * engine, at load), so that the load's garbage does not count as used.
     */
    static long forKvCaches(long requestedBytes) {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        long used = runtime.totalMemory() - runtime.freeMemory();
        long max = runtime.maxMemory();
        long room = max - used - Math.max(MIN_RESERVE, max / 8);
        long budget = Math.min(requestedBytes, Math.max(1, room));
        if (budget < requestedBytes) {
            LOG.warning("KV cache budget " + (budget >> 20) + " MiB, not the " + (requestedBytes >> 20)
                    + " MiB requested: the heap (-Xmx " + (max >> 20) + " MiB) holds " + (used >> 20)
                    + " MiB after loading; give the JVM more heap for more sequences in flight");
        }
        return budget;
    }
}
