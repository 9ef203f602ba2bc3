package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;

/** Hands out KV caches within a byte budget shared by all sequences of an engine. */
public final class KvCacheBudget {

    private final ModelConfig config;
    private final long budgetBytes;
    private long usedBytes;

    public KvCacheBudget(ModelConfig config, long budgetBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("KV cache budget must be > 0 bytes, got " + budgetBytes);
        }
        this.config = config;
        this.budgetBytes = budgetBytes;
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
        usedBytes += bytes;
        return new KvCache(config.numLayers(), slots, config.kvDim());
    }

    public synchronized void release(KvCache cache) {
        usedBytes -= bytesFor(cache.capacity());
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }
}
