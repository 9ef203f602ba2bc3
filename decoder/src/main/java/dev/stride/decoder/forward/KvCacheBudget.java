package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;

/** Hands out KV caches within a byte budget shared by all sequences of an engine. */
public final class KvCacheBudget {

    /** Creates and frees the caches of one backend, in that backend's memory. */
    public interface Allocator {
        KvCache allocate(int slots);

        void free(KvCache cache);
    }

    private final ModelConfig config;
    private final long budgetBytes;
    private final Allocator allocator;
    private long usedBytes;

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

    public long bytesFor(int slots) {
        return KvCache.bytesFor(config.numLayers(), slots, config.kvDim());
    }

    /** Whether a cache of this many slots could ever fit, even with nothing else allocated. */
    public boolean fitsAlone(int slots) {
        return bytesFor(slots) <= budgetBytes;
    }

    /** A cache of {@code slots} slots, or null when the budget is currently exhausted. */
    public synchronized KvCache tryAllocate(int slots) {
        long bytes = bytesFor(slots);
        if (usedBytes + bytes > budgetBytes) {
            return null;
        }
        KvCache cache = allocator.allocate(slots);
        usedBytes += bytes;
        return cache;
    }

    public synchronized void release(KvCache cache) {
        usedBytes -= bytesFor(cache.capacity());
        allocator.free(cache);
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }
}
