package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A BF16 matrix repacked on the heap into the panels of a {@link PackedMatrix} (output rows in groups of
 * {@link PackedMatrix#PANEL}, column by column), still two bytes a weight. The kernel widens a few panels at a
 * time to float32 ({@link #widenPanels}) and runs the float32 panel kernel on them, or, for a single input,
 * widens each column in registers. A heap array reads faster than
 * a mapped buffer (no per-access buffer checks), and the panel kernel needs no lane reductions.
 */
public final class PackedBf16Matrix implements WeightMatrix {

    private static final int W = PackedMatrix.PANEL;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts that widen to one full int vector: one panel column. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));

    private final short[] panels; // (panels, cols, W) bfloat16 bits
    private final int rows;
    private final int cols;

    private PackedBf16Matrix(short[] panels, int rows, int cols) {
        this.panels = panels;
        this.rows = rows;
        this.cols = cols;
    }

    /** Repacks a BF16 matrix; the bits are copied unchanged. */
    public static PackedBf16Matrix pack(WeightMatrix m) {
        if (m.dtype() != DType.BF16) {
            throw new IllegalArgumentException("BF16 panels need a BF16 matrix, got " + m.dtype());
        }
        if (S.length() != W) {
            throw new IllegalStateException("a panel column must widen from one short vector");
        }
        int rows = m.rows();
        int cols = m.cols();
        int panelCount = (rows + W - 1) / W;
        short[] panels = new short[Math.multiplyExact(Math.multiplyExact(panelCount, cols), W)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.loadRow(r, row);
            int base = (r / W) * cols * W + r % W;
            for (int c = 0; c < cols; c++) {
                int bits = Float.floatToRawIntBits(row[c]);
                if ((bits & 0xffff) != 0) { // e.g. a stacked matrix whose later parts are not BF16
                    throw new IllegalArgumentException("row " + r + " column " + c + " is not a BF16 value: " + row[c]);
                }
                panels[base + c * W] = (short) (bits >>> 16);
            }
        }
        return new PackedBf16Matrix(panels, rows, cols);
    }

    /** The BF16 bits: panel p, column c, lane j at {@code (p * cols + c) * PANEL + j}. */
    public short[] panels() {
        return panels;
    }

    public int panelCount() {
        return (rows + W - 1) / W;
    }

    /**
     * Panels [first, first + count) as float32 into dst[0, count * cols * W), in the layout of
     * {@link PackedMatrix#panels()}.
     */
    public void widenPanels(int first, int count, float[] dst) {
        int from = first * cols * W;
        int length = count * cols * W;
        for (int i = 0; i < length; i += W) {
            ((IntVector) ShortVector.fromArray(S, panels, from + i).convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(dst, i);
        }
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
        return DType.BF16;
    }

    @Override
    public long byteSize() {
        return (long) panels.length * Short.BYTES;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        int base = (row / W) * cols * W + row % W;
        for (int c = 0; c < cols; c++) {
            dst[offset + c] = HalfFloats.bf16ToF32(panels[base + c * W]);
        }
    }

    @Override
    public float get(int row, int col) {
        return HalfFloats.bf16ToF32(panels[((row / W) * cols + col) * W + row % W]);
    }
}
