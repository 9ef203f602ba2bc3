package dev.stride.decoder.forward;

/** A KV cache on the Java heap, for the CPU {@link Transformer}. */
final class HeapKvCache implements KvCache {

    private final float[][] keys;   // (layers, capacity * kvDim)
    private final float[][] values; // (layers, capacity * kvDim)
    private final int capacity;
    private final int kvDim;

    HeapKvCache(int layers, int capacity, int kvDim) {
        this.keys = new float[layers][capacity * kvDim];
        this.values = new float[layers][capacity * kvDim];
        this.capacity = capacity;
        this.kvDim = kvDim;
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

    @Override
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
