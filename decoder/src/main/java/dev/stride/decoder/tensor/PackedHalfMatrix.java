package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A BF16 or F16 matrix repacked on the heap into the panels of a {@link PackedMatrix} (output rows in groups of
 * {@link PackedMatrix#PANEL}), still two bytes a weight, with two neighbouring columns sharing each int: the low
 * half holds column 2k, the high half column 2k + 1. One int vector then widens into two float32 columns with a
 * few lane-wise operations (no lane shuffles: widening short lanes one column at a time cost the kernels twice their
 * multiply-adds on AVX2). The kernel widens a few panels at a time to float32 ({@link #widenPanels}) and runs the
 * float32 panel kernel on them, or, for a few inputs, widens the columns in registers. A heap array reads faster
 * than a mapped buffer (no per-access buffer checks), and the panel kernel needs no lane reductions.
 */
public final class PackedHalfMatrix implements WeightMatrix {

    private static final int W = PackedMatrix.PANEL;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** The high half of a column pair: the odd column's BF16 bits, already in a float32's place. */
    public static final int HIGH_HALF = 0xffff0000;
    /**
     * A float16 in the high half of an int, shifted right by 3 with its sign, has its exponent and mantissa in
     * float32's places: this keeps its sign and those 15 bits (clearing the sign's copies and the low half's bits).
     */
    public static final int F16_BITS = 0x8fffe000;
    /**
     * 2^112: turns a float16's bits in float32's places into its value, rescaling the exponent bias (15 to 127)
     * for normals and subnormals alike, exactly. Wrong for infinities and NaNs, which {@link #pack} refuses.
     */
    public static final float F16_REBIAS = 0x1p112f;

    private final int[] pairs; // (panels, (cols + 1) / 2, W): column 2k in the low 16 bits, 2k + 1 in the high
    private final int rows;
    private final int cols;
    private final DType dtype;

    private PackedHalfMatrix(int[] pairs, int rows, int cols, DType dtype) {
        this.pairs = pairs;
        this.rows = rows;
        this.cols = cols;
        this.dtype = dtype;
    }

    /**
     * Repacks a BF16 or F16 matrix; the bits are copied unchanged (an odd matrix's last pair has an empty high half).
     * Refuses an F16 matrix holding an infinity or a NaN (the widening has no case for them: see {@link #packOrKeep}).
     */
    public static PackedHalfMatrix pack(WeightMatrix m) {
        PackedHalfMatrix packed = packOrNull(m);
        if (packed == null) {
            throw new IllegalArgumentException("F16 panels need finite values: the matrix holds an infinity or a NaN");
        }
        return packed;
    }

    /** {@code m} repacked, or {@code m} itself, as stored, if it is an F16 matrix holding an infinity or a NaN. */
    public static WeightMatrix packOrKeep(WeightMatrix m) {
        PackedHalfMatrix packed = packOrNull(m);
        return packed != null ? packed : m;
    }

    private static PackedHalfMatrix packOrNull(WeightMatrix m) {
        DType dtype = m.dtype();
        return switch (dtype) {
            case BF16 -> pack(m, DType.BF16, (r, values, halves) -> {
                for (int c = 0; c < values.length; c++) {
                    int bits = Float.floatToRawIntBits(values[c]);
                    if ((bits & 0xffff) != 0) { // e.g. a stacked matrix whose later parts are not BF16
                        throw new IllegalArgumentException("row " + r + " column " + c + " is not a BF16 value: "
                                + values[c]);
                    }
                    halves[c] = bits >>> 16;
                }
                return true;
            });
            case F16 -> pack(m, DType.F16, (r, values, halves) -> {
                for (int c = 0; c < values.length; c++) {
                    int half = HalfFloats.exactF16Bits(values[c]);
                    if (half < 0) {
                        if (!Float.isFinite(values[c])) {
                            return false;
                        }
                        throw new IllegalArgumentException("row " + r + " column " + c + " is not an F16 value: "
                                + values[c]);
                    }
                    halves[c] = half;
                }
                return true;
            });
            default -> throw new IllegalArgumentException("half-float panels need a BF16 or F16 matrix, got " + dtype);
        };
    }

    /** A row's values as 16-bit halves: one call a row, so the conversion loop compiles for its one format. */
    @FunctionalInterface
    private interface ToHalves {
        /** Fills {@code halves} with the bits of {@code values} (row {@code row}); false if they cannot be packed. */
        boolean convert(int row, float[] values, int[] halves);
    }

    /** {@code m} in panels, each row as {@code toHalves} converts it; null if it cannot convert one. */
    private static PackedHalfMatrix pack(WeightMatrix m, DType dtype, ToHalves toHalves) {
        if (I.length() != W) {
            throw new IllegalStateException("a panel column must be one int vector");
        }
        int rows = m.rows();
        int cols = m.cols();
        int panelCount = (rows + W - 1) / W;
        int pairCols = pairColumns(cols);
        int[] pairs = new int[Math.multiplyExact(Math.multiplyExact(panelCount, pairCols), W)];
        float[] row = new float[cols];
        int[] halves = new int[cols + 1]; // an odd row's last pair gets an empty high half
        for (int r = 0; r < rows; r++) {
            m.loadRow(r, row);
            if (!toHalves.convert(r, row, halves)) {
                return null;
            }
            int at = (r / W) * pairCols * W + r % W;
            for (int c = 0; c < cols; c += 2, at += W) {
                pairs[at] = halves[c] | halves[c + 1] << 16;
            }
        }
        return new PackedHalfMatrix(pairs, rows, cols, dtype);
    }

    /** Column pairs a row of {@code cols} columns packs into. */
    public static int pairColumns(int cols) {
        return (cols + 1) / 2;
    }

    /** The paired bits: panel p, columns 2k and 2k + 1, lane j at {@code (p * pairColumns + k) * PANEL + j}. */
    public int[] pairs() {
        return pairs;
    }

    public int panelCount() {
        return (rows + W - 1) / W;
    }

    /** Column 2k of the int vector {@code pair} of BF16 bits as float32 (species named: see VectorExp). */
    public static FloatVector evenColumn(IntVector pair) {
        return (FloatVector) pair.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
    }

    /** Column 2k + 1 of the int vector {@code pair} of BF16 bits as float32. */
    public static FloatVector oddColumn(IntVector pair) {
        return (FloatVector) pair.lanewise(VectorOperators.AND, HIGH_HALF).reinterpretShape(F, 0);
    }

    /** Column 2k of the int vector {@code pair} of F16 bits as float32: moved to the high half, then widened. */
    public static FloatVector evenF16Column(IntVector pair) {
        return oddF16Column(pair.lanewise(VectorOperators.LSHL, 16));
    }

    /**
     * Column 2k + 1 of the int vector {@code pair} of F16 bits as float32: shifted into float32's places (the sign
     * also fills the three bits after it, which the mask clears), then rebiased. (The register kernels skip the
     * rebias and scale their inputs instead: see PackedKernels.)
     */
    public static FloatVector oddF16Column(IntVector pair) {
        IntVector bits = pair.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS);
        return ((FloatVector) bits.reinterpretShape(F, 0)).mul(F16_REBIAS);
    }

    /**
     * Panels [first, first + count) as float32 into dst[0, count * cols * W), in the layout of
     * {@link PackedMatrix#panels()}.
     */
    public void widenPanels(int first, int count, float[] dst) {
        boolean f16 = dtype == DType.F16;
        int pairCols = pairColumns(cols);
        for (int p = 0; p < count; p++) {
            int from = (first + p) * pairCols * W;
            int to = p * cols * W;
            for (int c = 0; c < cols; c += 2) {
                IntVector pair = IntVector.fromArray(I, pairs, from + (c / 2) * W);
                (f16 ? evenF16Column(pair) : evenColumn(pair)).intoArray(dst, to + c * W);
                if (c + 1 < cols) {
                    (f16 ? oddF16Column(pair) : oddColumn(pair)).intoArray(dst, to + (c + 1) * W);
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

    /** {@link DType#BF16} or {@link DType#F16}: the format of the paired halves. */
    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public long byteSize() {
        return (long) pairs.length * Integer.BYTES;
    }

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        int first = (row / W) * pairColumns(cols) * W + row % W;
        for (int c = 0; c < cols; c++) {
            dst[offset + c] = value(pairs[first + (c / 2) * W], c);
        }
    }

    @Override
    public float get(int row, int col) {
        return value(pairs[((row / W) * pairColumns(cols) + col / 2) * W + row % W], col);
    }

    /** Column {@code col}'s half of {@code pair} as float32. */
    private float value(int pair, int col) {
        int half = col % 2 == 0 ? pair & 0xffff : pair >>> 16;
        return dtype == DType.F16 ? HalfFloats.f16ToF32((short) half) : Float.intBitsToFloat(half << 16);
    }
}
