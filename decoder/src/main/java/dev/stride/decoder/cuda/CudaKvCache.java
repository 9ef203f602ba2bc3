package dev.stride.decoder.cuda;

import dev.stride.decoder.forward.KvCache;

/**
 * A KV cache in device memory: one allocation laid out [layer][keys, values][slot][kvDim] in float32 (rope.cuh).
 * Slot moves are queued on the backend and run as one launch before its next pass.
 */
final class CudaKvCache implements KvCache {

    private final CudaForward owner;
    private final long address;
    private final int capacity;

    CudaKvCache(CudaForward owner, long address, int capacity) {
        this.owner = owner;
        this.address = address;
        this.capacity = capacity;
    }

    /** The cache of a pass row, which must come from {@code owner}. */
    static CudaKvCache of(KvCache cache, int row, CudaForward owner) {
        if (!(cache instanceof CudaKvCache cuda) || cuda.owner != owner) {
            throw new IllegalArgumentException("row " + row + " has a KV cache of another backend: " + cache);
        }
        return cuda;
    }

    long address() {
        return address;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void moveSlot(int from, int to) {
        if (from < 0 || to < 0 || from >= capacity || to >= capacity) {
            throw new IndexOutOfBoundsException("move of slot " + from + " to " + to + " in a cache of " + capacity);
        }
        if (from != to) {
            owner.queueMove(this, from, to);
        }
    }
}
