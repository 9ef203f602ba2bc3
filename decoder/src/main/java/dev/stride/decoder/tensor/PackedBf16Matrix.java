package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A BF16 matrix repacked on the heap into the panels of a {@link PackedMatrix} (output rows in groups of
 * {@link PackedMatrix#PANEL}), still two bytes a weight, with two neighbouring columns sharing each int: the low
 * half holds column 2k, the high half column 2k + 1. One int vector then widens into two float32 columns with one
 * shift and one mask (no lane shuffles: widening short lanes one column at a time cost the kernels twice their
 * multiply-adds on AVX2). The kernel widens a few panels at a time to float32 ({@link #widenPanels}) and runs the
 * float32 panel kernel on them, or, for a few inputs, widens the columns in registers. A heap array reads faster
 * than a mapped buffer (no per-access buffer checks), and the panel kernel needs no lane reductions.
 */
public final class PackedBf16Matrix implements WeightMatrix {

    private static final int W = PackedMatrix.PANEL;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bits of the odd column of a pair. */
    /** The high half of a column pair: the odd column's BF16 bits, already in a float32's place. */
    public static final int HIGH_HALF = 0xffff0000;

    private final int[] pairs; // (panels, (cols + 1) / 2, W): column 2k in the low 16 bits, 2k + 1 in the high
    private final int rows;
    private final int cols;

    private PackedBf16Matrix(int[] pairs, int rows, int cols) {
        this.pairs = pairs;
        this.rows = rows;
        this.cols = cols;
    }

    /** Repacks a BF16 matrix; the bits are copied unchanged (an odd matrix's last pair has an empty high half). */
    public static PackedBf16Matrix pack(WeightMatrix m) {
        if (m.dtype() != DType.BF16) {
            throw new IllegalArgumentException("BF16 panels need a BF16 matrix, got " + m.dtype());
        }
        return pack(m, (r, c, value) -> {
            int bits = Float.floatToRawIntBits(value);
            if ((bits & 0xffff) != 0) { // e.g. a stacked matrix whose later parts are not BF16
                throw new IllegalArgumentException("row " + r + " column " + c + " is not a BF16 value: " + value);
            }
            return bits >>> 16;
        });
    }

    /**
     * Any matrix rounded to BF16 (to nearest, ties to even): other values than the stored ones, so only for
     * matrices whose outputs need not be exact, such as the prediction heads' (they propose tokens, never choose them).
     */
    public static PackedBf16Matrix rounded(WeightMatrix m) {
        return pack(m, (r, c, value) -> HalfFloats.f32ToBf16(value));
    }

    @FunctionalInterface
    private interface ToBf16 {
        int bits(int row, int col, float value);
    }

    private static PackedBf16Matrix pack(WeightMatrix m, ToBf16 toBf16) {
        if (I.length() != W) {
            throw new IllegalStateException("a panel column must be one int vector");
        }
        int rows = m.rows();
        int cols = m.cols();
        int panelCount = (rows + W - 1) / W;
        int pairCols = pairColumns(cols);
        int[] pairs = new int[Math.multiplyExact(Math.multiplyExact(panelCount, pairCols), W)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            m.loadRow(r, row);
            int base = (r / W) * pairCols * W + r % W;
            for (int c = 0; c < cols; c++) {
                int half = toBf16.bits(r, c, row[c]) & 0xffff;
                pairs[base + (c / 2) * W] |= c % 2 == 0 ? half : half << 16;
            }
        }
        return new PackedBf16Matrix(pairs, rows, cols);
    }

    /** Column pairs a row of {@code cols} columns packs into. */
    public static int pairColumns(int cols) {
        return (cols + 1) / 2;
    }

    /** The paired BF16 bits: panel p, columns 2k and 2k + 1, lane j at {@code (p * pairColumns + k) * PANEL + j}. */
    public int[] pairs() {
        return pairs;
    }

    public int panelCount() {
        return (rows + W - 1) / W;
    }

    /** Column 2k of the int vector {@code pair} as float32 (species named: see VectorExp). */
    public static FloatVector evenColumn(IntVector pair) {
        return (FloatVector) pair.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
    }

    /** Column 2k + 1 of the int vector {@code pair} as float32. */
    public static FloatVector oddColumn(IntVector pair) {
        return (FloatVector) pair.lanewise(VectorOperators.AND, HIGH_HALF).reinterpretShape(F, 0);
    }

    /**
     * Panels [first, first + count) as float32 into dst[0, count * cols * W), in the layout of
     * {@link PackedMatrix#panels()}.
     */
    public void widenPanels(int first, int count, float[] dst) {
        int pairCols = pairColumns(cols);
        for (int p = 0; p < count; p++) {
            int from = (first + p) * pairCols * W;
            int to = p * cols * W;
            for (int c = 0; c < cols; c += 2) {
                IntVector pair = IntVector.fromArray(I, pairs, from + (c / 2) * W);
                evenColumn(pair).intoArray(dst, to + c * W);
                if (c + 1 < cols) {
                    oddColumn(pair).intoArray(dst, to + (c + 1) * W);
                }
            }
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
        return (long) pairs.length * Integer.BYTES;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        for (int c = 0; c < cols; c++) {
            dst[offset + c] = get(row, c);
        }
    }

    @Override
    public float get(int row, int col) {
        int pair = pairs[((row / W) * pairColumns(cols) + col / 2) * W + row % W];
        return Float.intBitsToFloat(col % 2 == 0 ? pair << 16 : pair & HIGH_HALF);
    }
}
