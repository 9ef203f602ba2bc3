package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;

/**
 * Several matrices with the same column count seen as one, stacked along rows. Lets q/k/v and gate/up run as one
 * parallel matmul (one synchronization instead of three) without copying their weights.
 */
public final class StackedMatrix implements WeightMatrix {

    private final WeightMatrix[] parts;
    private final int[] firstRow; // firstRow[i] = rows before parts[i]
    private final int rows;
    private final int cols;

    public StackedMatrix(WeightMatrix... parts) {
        this.parts = parts.clone();
        this.firstRow = new int[parts.length];
        this.cols = parts[0].cols();
        int total = 0;
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].cols() != cols) {
                throw new IllegalArgumentException("stacked matrices need equal column counts: " + cols + " vs "
                        + parts[i].cols());
            }
            firstRow[i] = total;
            total += parts[i].rows();
        }
        this.rows = total;
    }

    public int partCount() {
        return parts.length;
    }

    public WeightMatrix part(int index) {
        return parts[index];
    }

    /** Row of this matrix where part {@code index} starts. */
    public int firstRow(int index) {
        return firstRow[index];
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
        return parts[0].dtype();
    }

    @Override
    public long byteSize() {
        long bytes = 0;
        for (WeightMatrix part : parts) {
            bytes += part.byteSize();
        }
        return bytes;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        int p = partOf(row);
        parts[p].loadRow(row - firstRow[p], dst, offset);
    }

    @Override
    public float get(int row, int col) {
        int p = partOf(row);
        return parts[p].get(row - firstRow[p], col);
    }

    private int partOf(int row) {
        int p = parts.length - 1;
        while (firstRow[p] > row) {
            p--;
        }
        return p;
    }
}
