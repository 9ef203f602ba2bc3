package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.TensorStore;

/**
 * Decides how weights are held. Large models stream their weights in the stored dtype every pass: decoding is
 * bandwidth bound and half-precision halves the bytes. A model whose weights fit in cache is compute bound
 * instead, and widening every half-precision row on every pass would dominate its time, so its matrices are
 * widened to float32 once, at load. The float32 values are exactly those the per-pass widening produces, so
 * results are bit-identical either way.
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

    /** The matrix as a float32 heap copy. */
    public static WeightMatrix widen(WeightMatrix m) {
        if (m instanceof ArrayMatrix) {
            return m;
        }
        float[] values = new float[Math.multiplyExact(m.rows(), m.cols())];
        for (int r = 0; r < m.rows(); r++) {
            m.loadRow(r, values, r * m.cols());
        }
        return new ArrayMatrix(values, m.rows(), m.cols());
    }
}
