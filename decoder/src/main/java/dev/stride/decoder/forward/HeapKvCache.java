package dev.stride.decoder.forward;

import jdk.incubator.vector.FloatVector;

/**
 * A KV cache on the Java heap, for the CPU {@link Transformer}. Values are stored per kv head, slot-major (one
 * slot's headDim values together), so that a head's weighted sum over slots reads one contiguous run: with all heads
 * of a slot together, a 350M model's head read 256 bytes every 4 KB, a page per slot. Keys are stored per kv head in
 * blocks of {@link #BLOCK} slots,
 * dimension-major inside a block, so one vector load gives dimension d of BLOCK consecutive keys and a block's
 * attention scores need no lane reductions ({@code TensorOps.keyBlockScores}).
 */
final class HeapKvCache implements KvCache {

    /** Slots per key block: the lanes of the preferred float vector. */
    static final int BLOCK = FloatVector.SPECIES_PREFERRED.length();

    private final float[][] keys;   // (layers, kvHeads * blocks * headDim * BLOCK)
    private final float[][] values; // (layers, kvHeads * capacity * headDim)
    private final int capacity;
    private final int kvHeads;
    private final int headDim;
    private final int blocks;

    HeapKvCache(int layers, int capacity, int kvHeads, int headDim) {
        this.blocks = (capacity + BLOCK - 1) / BLOCK;
        this.keys = new float[layers][kvHeads * blocks * headDim * BLOCK];
        this.values = new float[layers][kvHeads * capacity * headDim];
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** Offset in {@link #keys} of the key block holding {@code slot} for kv head {@code kvHead}. */
    int keyBlock(int kvHead, int slot) {
        return (kvHead * blocks + slot / BLOCK) * headDim * BLOCK;
    }

    /** Offset in {@link #values} of the value of {@code slot} for kv head {@code kvHead}: headDim floats. */
    int valueOffset(int kvHead, int slot) {
        return (kvHead * capacity + slot) * headDim;
    }

    /** Stores slot's key (all kv heads, kvDim values from src[keyOff]) and value (from src[valueOff]). */
    void write(int layer, int slot, float[] src, int keyOff, int valueOff) {
        float[] k = keys[layer];
        for (int h = 0; h < kvHeads; h++) {
            int at = keyBlock(h, slot) + slot % BLOCK;
            for (int d = 0; d < headDim; d++) {
                k[at + d * BLOCK] = src[keyOff + h * headDim + d];
            }
            System.arraycopy(src, valueOff + h * headDim, values[layer], valueOffset(h, slot), headDim);
        }
    }

    @Override
    public void moveSlot(int from, int to) {
        if (from == to) {
            return;
        }
        for (int layer = 0; layer < keys.length; layer++) {
            float[] k = keys[layer];
            for (int h = 0; h < kvHeads; h++) {
                int src = keyBlock(h, from) + from % BLOCK;
                int dst = keyBlock(h, to) + to % BLOCK;
                for (int d = 0; d < headDim; d++) {
                    k[dst + d * BLOCK] = k[src + d * BLOCK];
                }
                System.arraycopy(values[layer], valueOffset(h, from), values[layer], valueOffset(h, to), headDim);
            }
        }
    }
}
