package dev.stride.decoder.forward;

/**
 * Keys and values of one sequence, per layer, in slots. Slot s of a committed token holds position s; tree
 * candidates are written to scratch slots past the committed ones and moved into place once accepted.
 */
public final class KvCache {

    private final float[][] keys;   // (layers, capacity * kvDim)
    private final float[][] values; // (layers, capacity * kvDim)
    private final int capacity;
    private final int kvDim;

    KvCache(int layers, int capacity, int kvDim) {
        this.keys = new float[layers][capacity * kvDim];
        this.values = new float[layers][capacity * kvDim];
        this.capacity = capacity;
        this.kvDim = kvDim;
    }

    public static long bytesFor(int layers, int capacity, int kvDim) {
        return 2L * layers * capacity * kvDim * Float.BYTES;
    }

    public int capacity() {
        return capacity;
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    int kvDim() {
        return kvDim;
    }

    /** Copies slot {@code from} to slot {@code to} in every layer. */
    public void moveSlot(int from, int to) {
        if (from == to) {
            return;
        }
        for (int layer = 0; layer < keys.length; layer++) {
            System.arraycopy(keys[layer], from * kvDim, keys[layer], to * kvDim, kvDim);
            System.arraycopy(values[layer], from * kvDim, values[layer], to * kvDim, kvDim);
        }
    }
}
