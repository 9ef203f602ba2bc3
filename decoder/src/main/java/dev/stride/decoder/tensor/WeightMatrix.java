package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;

/**
 * A read-only (rows, cols) weight matrix in its stored dtype, row-major. Kernels read it a row at a time,
 * converting to float32 in registers, so weights are never copied onto the heap.
 */
public interface WeightMatrix {

    int rows();

    int cols();

    DType dtype();

    /** Row {@code row} as float32 into {@code dst[offset, offset + cols)}; vectorized. */
    void loadRow(int row, float[] dst, int offset);

    /** Row {@code row} as float32 into {@code dst[0, cols)}. */
    default void loadRow(int row, float[] dst) {
        loadRow(row, dst, 0);
    }

    /** The whole matrix as float32, row-major: a copy for training or for writing it out. */
    default float[] toFloats() {
        float[] out = new float[rows() * cols()];
        for (int r = 0; r < rows(); r++) {
            loadRow(r, out, r * cols());
        }
        return out;
    }

    /** One element as float32; the scalar path used by the test oracle. */
    float get(int row, int col);

    /** Bytes the matrix occupies in its stored dtype. */
    default long byteSize() {
        return (long) rows() * cols() * dtype().byteSize();
    }
}
