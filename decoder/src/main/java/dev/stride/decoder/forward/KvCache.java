package dev.stride.decoder.forward;

/**
 * Keys and values of one sequence, per layer, in slots, stored by the backend that runs its passes. Slot s of a
 * committed token holds position s; tree candidates are written to scratch slots past the committed ones and moved
 * into place once accepted.
 */
public interface KvCache {

    /** Bytes of a cache: float32 keys and values of every layer. */
    static long bytesFor(int layers, int capacity, int kvDim) {
        return 2L * layers * capacity * kvDim * Float.BYTES;
    }

    int capacity();

    /** Copies slot {@code from} to slot {@code to} in every layer; takes effect before the next pass. */
    void moveSlot(int from, int to);
}
