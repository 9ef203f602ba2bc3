package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.TensorStore;

/**
 * Decides how weights are held. Large models stream their weights in the stored dtype every pass: decoding is
 * bandwidth bound and half-precision halves the bytes. A model whose weights fit in cache is compute bound
 * instead, and widening every half-precision row on every pass would dominate its time, so its matrices are
 * widened to float32 once, at load, and repacked into the panels of a {@link PackedMatrix} for the batched
 * kernel. The float32 values are exactly those the per-pass widening produces.
 */
public final class WidenedMatrices {

    /** Stored weights up to this size are widened once at load (float32 doubles it: still cache-sized). */
    public static final long WIDEN_AT_LOAD_BYTES = 32L << 20;

    private WidenedMatrices() {
    }

    /** Whether all tensors of the store together are small enough to widen at load. */
    public static boolean fitsInCache(TensorStore store) {
        long bytes = 0;
        for (String name : store.names()) {
            bytes += store.info(name).byteLength();
        }
        return bytes <= WIDEN_AT_LOAD_BYTES;
    }

    /** {@code m} as held for inference: packed float32 when {@code widen}, else as stored. */
    public static WeightMatrix hold(WeightMatrix m, boolean widen) {
        return widen ? PackedMatrix.pack(m) : m;
    }
}
