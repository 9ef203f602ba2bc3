package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Hands out KV caches within a byte budget shared by all sequences of an engine, and keeps released caches for the
 * next sequences. Fresh caches cost more than their zeroing: a job allocated 160 KB of heap per row on the demo
 * model (57 % of everything its JVM allocated while decoding, JFR), which set the pace of its young collections. So
 * capacities are rounded up to size classes (multiples of 16 slots, coarser for long contexts: at most 15 or 1/16
 * more slots than asked for) and a released cache waits, idle, for a request of its class. Idle caches count
 * against the budget and are dropped, oldest first, when a new cache needs their room; they never outnumber, nor
 * outweigh, the caches that were in use at once at the peak, and {@link #dropIdle} frees them all (a decoder's
 * close). A cache is released once: a second release is an error, as two sequences would then share it.
 *
 * <p>A reused cache still holds its last sequence's keys and values past the slots the new one writes. Passes never
 * read a slot before writing it (attention scores a whole key block but reads only the written slots' lanes), so
 * this changes no bit; {@code KvCacheReuseTest} proves it on caches poisoned with NaN.
 *
 * <p>Memory goes to waiters first come, first served: a claimant (a decoder) whose cache found no room waits in
 * line, and the room it asked for is kept for it from the claimants behind it and from anonymous callers. Before,
 * each freed cache went to whoever asked next, so a decoder waiting for a long request's cache never got one while
 * another decoder of the engine kept admitting short ones into every cache its sequences released.
 */
public final class KvCacheBudget {

    /** Creates and frees the caches of one backend, in that backend's memory. */
    public interface Allocator {
        KvCache allocate(int slots);

        void free(KvCache cache);
    }

    /** Slots of the finest size class: a key block's slots on AVX-512 (see {@link HeapKvCache#BLOCK}). */
    static final int MIN_CLASS_STEP = 16;

    private final ModelConfig config;
    private final long budgetBytes;
    private final Allocator allocator;
    private final Map<Integer, ArrayDeque<KvCache>> idleByCapacity = new HashMap<>();
    private final ArrayDeque<KvCache> idleOldestFirst = new ArrayDeque<>();
    private final Set<KvCache> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Bytes each waiting claimant asked for, in the order they began to wait. */
    private final Map<Object, Long> waiting = new LinkedHashMap<>();
    private long usedBytes;
    private long idleBytes;
    private int mostInUse;
    private long mostUsedBytes;

    /** A budget of caches on the Java heap, for the CPU backend. */
    public KvCacheBudget(ModelConfig config, long budgetBytes) {
        this(config, budgetBytes, new Allocator() {
            @Override
            public KvCache allocate(int slots) {
                return new HeapKvCache(config.numLayers(), slots, config.numKvHeads(), config.headDim());
            }

            @Override
            public void free(KvCache cache) {
            }
        });
    }

    public KvCacheBudget(ModelConfig config, long budgetBytes, Allocator allocator) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("KV cache budget must be > 0 bytes, got " + budgetBytes);
        }
        this.config = config;
        this.budgetBytes = budgetBytes;
        this.allocator = allocator;
    }

    /**
     * The capacity a cache of at least {@code slots} slots gets: a multiple of 16, or of a sixteenth of the largest
     * power of two at or below {@code slots} where that is coarser. Rounding a capacity again leaves it as it is.
     */
    public static int capacityFor(int slots) {
        return Math.toIntExact(sizeClass(slots));
    }

    /** {@link #capacityFor} in long: slot counts near 2^31 (a tree of {@code nodes:N} nodes) overflow an int's. */
    private static long sizeClass(long slots) {
        long step = Math.max(MIN_CLASS_STEP, Long.highestOneBit(Math.max(1, slots)) / 16);
        return (slots + step - 1) / step * step;
    }

    /** Bytes of the cache that {@code slots} slots get (their size class). */
    public long bytesFor(int slots) {
        return KvCache.bytesFor(config.numLayers(), capacityFor(slots), config.kvDim());
    }

    /** Whether a cache of this many slots could ever fit, even with nothing else allocated (none past an int). */
    public boolean fitsAlone(long slots) {
        long capacity = sizeClass(slots);
        return capacity <= Integer.MAX_VALUE && bytesFor((int) capacity) <= budgetBytes;
    }

    /**
     * A cache of at least {@code slots} slots, or null when the caches in use, and the room kept for the claimants
     * waiting, leave no room for it. For a caller that does not wait in line (it gives up, or fails, on null).
     */
    public KvCache tryAllocate(int slots) {
        return tryAllocate(slots, null);
    }

    /**
     * As {@link #tryAllocate(int)} for {@code claimant}, which on null waits in line for the room until it gets a
     * cache or {@linkplain #withdraw withdraws}; the claimants ahead of it are served first.
     */
    public synchronized KvCache tryAllocate(int slots, Object claimant) {
        int capacity = capacityFor(slots);
        long bytes = bytesFor(capacity);
        if (usedBytes + keptAheadOf(claimant) + bytes > budgetBytes) {
            if (claimant != null) {
                waiting.put(claimant, bytes); // a claimant already in line keeps its place
            }
            return null;
        }
        if (claimant != null) {
            waiting.remove(claimant);
        }
        ArrayDeque<KvCache> idle = idleByCapacity.get(capacity);
        KvCache cache;
        if (idle != null && !idle.isEmpty()) {
            cache = idle.pop();
            idleOldestFirst.removeLastOccurrence(cache);
            idleBytes -= bytes;
        } else {
            while (usedBytes + idleBytes + bytes > budgetBytes) {
                dropOldestIdle();
            }
            cache = allocator.allocate(capacity);
        }
        inUse.add(cache);
        usedBytes += bytes;
        mostInUse = Math.max(mostInUse, inUse.size());
        mostUsedBytes = Math.max(mostUsedBytes, usedBytes);
        return cache;
    }

    /** Bytes kept for the claimants waiting ahead of {@code claimant} (all of them for one not in line). */
    private long keptAheadOf(Object claimant) {
        long kept = 0;
        for (Map.Entry<Object, Long> waiter : waiting.entrySet()) {
            if (waiter.getKey() == claimant) {
                break;
            }
            kept += waiter.getValue();
        }
        return kept;
    }

    /** Takes {@code claimant} out of line (a decoder closed while it waited): its room is kept no longer. */
    public synchronized void withdraw(Object claimant) {
        waiting.remove(claimant);
    }

    /** Returns a cache to the budget; it waits idle for a request of its size class. */
    public synchronized void release(KvCache cache) {
        if (!inUse.remove(cache)) {
            throw new IllegalStateException("KV cache released twice, or not from this budget");
        }
        long bytes = bytesFor(cache.capacity());
        usedBytes -= bytes;
        idleByCapacity.computeIfAbsent(cache.capacity(), c -> new ArrayDeque<>()).push(cache);
        idleOldestFirst.addLast(cache);
        idleBytes += bytes;
        while (idleOldestFirst.size() > mostInUse || idleBytes > mostUsedBytes) {
            dropOldestIdle();
        }
    }

    /** Frees every idle cache (caches in use stay). */
    public synchronized void dropIdle() {
        while (!idleOldestFirst.isEmpty()) {
            dropOldestIdle();
        }
    }

    private void dropOldestIdle() {
        KvCache oldest = idleOldestFirst.removeFirst();
        idleByCapacity.get(oldest.capacity()).removeLastOccurrence(oldest); // the oldest of its class: at the tail
        idleBytes -= bytesFor(oldest.capacity());
        allocator.free(oldest);
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** Bytes of the caches in use (idle ones not counted). */
    public synchronized long usedBytes() {
        return usedBytes;
    }

    /** Bytes kept for the decoders waiting in line (none of them holds them yet). */
    public synchronized long keptBytes() {
        return keptAheadOf(null);
    }

    /** Bytes of released caches waiting for reuse. */
    public synchronized long idleBytes() {
        return idleBytes;
    }
}
