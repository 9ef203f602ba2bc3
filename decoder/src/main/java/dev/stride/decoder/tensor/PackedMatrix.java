package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import jdk.incubator.vector.FloatVector;

/**
 * A float32 matrix repacked for the batched matmul kernel: output rows in panels of {@link #PANEL} (one vector),
 * each panel stored column by column, so {@code panel[k]} is the vector of the panel's rows at column k. The
 * kernel then accumulates one column per step for many input rows at once, from broadcast inputs, with no lane
 * reduction: every output element is the plain sequence of fused multiply-adds over its columns. The lanes past
 * the last row of the last panel hold anything; kernels never store them.
 */
public final class PackedMatrix implements WeightMatrix {

    /** Output rows per panel: the lanes of the preferred float vector, so one panel column is one vector. */
    public static final int PANEL = FloatVector.SPECIES_PREFERRED.length();

    private final float[] panels; // (panels, cols, PANEL)
    private final int rows;
    private final int cols;
    private final DType storedDtype;

    private PackedMatrix(float[] panels, int rows, int cols, DType storedDtype) {
        this.panels = panels;
        this.rows = rows;
        this.cols = cols;
        this.storedDtype = storedDtype;
    }

    /** Widens and repacks {@code m}; the float32 values are exactly those {@link WeightMatrix#loadRow} gives. */
    public static PackedMatrix pack(WeightMatrix m) {
        return pack(m, new float[0]);
    }

    /**
     * Packs {@code m} into {@code buffer} when it is large enough (else into a new array): for matrices packed on
     * every use, e.g. head weights during training. The result is valid until the buffer is packed again.
     */
    public static PackedMatrix pack(WeightMatrix m, float[] buffer) {
        int rows = m.rows();
        int cols = m.cols();
        int panelCount = (rows + PANEL - 1) / PANEL;
        int length = Math.multiplyExact(Math.multiplyExact(panelCount, cols), PANEL);
        float[] panels = buffer.length >= length ? buffer : new float[length];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.loadRow(r, row);
            int base = (r / PANEL) * cols * PANEL + r % PANEL;
            for (int c = 0; c < cols; c++) {
                panels[base + c * PANEL] = row[c];
            }
        }
        return new PackedMatrix(panels, rows, cols, m.dtype());
    }

    /** The packed values: panel p, column c, lane j is at {@code (p * cols + c) * PANEL + j}. */
    public float[] panels() {
        return panels;
    }

    public int panelCount() {
        return (rows + PANEL - 1) / PANEL;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The dtype the values were read from (they are held as float32). */
    @Override
    public DType dtype() {
        return storedDtype;
    }

    /** Bytes held: float32 plus the padding of the last panel. */
    @Override
    public long byteSize() {
        return (long) panels.length * Float.BYTES;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        int base = (row / PANEL) * cols * PANEL + row % PANEL;
        for (int c = 0; c < cols; c++) {
            dst[offset + c] = panels[base + c * PANEL];
        }
    }

    @Override
    public float get(int row, int col) {
        return panels[((row / PANEL) * cols + col) * PANEL + row % PANEL];
    }
}
