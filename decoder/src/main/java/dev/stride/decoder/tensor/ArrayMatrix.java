package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;

/** A float32 matrix on the heap: trainable head weights and test models. */
public final class ArrayMatrix implements WeightMatrix {

    private final float[] values; // (rows, cols)
    private final int rows;
    private final int cols;

    public ArrayMatrix(int rows, int cols) {
        this(new float[Math.multiplyExact(rows, cols)], rows, cols);
    }

    public ArrayMatrix(float[] values, int rows, int cols) {
        if (values.length != (long) rows * cols) {
            throw new IllegalArgumentException("(" + rows + ", " + cols + ") matrix needs " + (long) rows * cols
                    + " values, got " + values.length);
        }
        this.values = values;
        this.rows = rows;
        this.cols = cols;
    }

    /** The backing array, row-major; writes are visible to readers. */
    public float[] values() {
        return values;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public DType dtype() {
        return DType.F32;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        System.arraycopy(values, row * cols, dst, offset, cols);
    }

    @Override
    public float get(int row, int col) {
        return values[row * cols + col];
    }
}
