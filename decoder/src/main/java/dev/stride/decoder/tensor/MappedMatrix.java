package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A weight matrix over a little-endian buffer (usually a memory-mapped safetensors tensor) in F32, F16 or BF16.
 * Half-precision rows are widened to float32 with vector bit manipulation: the JDK 17 Vector API has no
 * half-float conversion of its own. Widening happens in registers, either into a row ({@link #loadRow}) or
 * straight into dot products ({@link #dot4}), which saves a store and a reload per weight when one input row
 * meets each weight once. Reinterpretations name their target species (see VectorExp).
 */
public abstract sealed class MappedMatrix implements WeightMatrix {

    /** The dot products' vectors ({@link LaneSum#SPECIES}): {@link #dot4} widens straight into them. */
    static final VectorSpecies<Float> F = LaneSum.SPECIES;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Shorts that widen to one full int vector. */
    static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(I.vectorBitSize() / 2));

    protected final ByteBuffer data;
    protected final int rows;
    protected final int cols;

    MappedMatrix(ByteBuffer data, int rows, int cols) {
        this.data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.rows = rows;
        this.cols = cols;
        long need = (long) rows * cols * dtype().byteSize();
        if (data.remaining() < need) {
            throw new IllegalArgumentException("buffer holds " + data.remaining() + " bytes, (" + rows + ", " + cols
                    + ") " + dtype() + " needs " + need);
        }
    }

    public static MappedMatrix of(DType dtype, ByteBuffer data, int rows, int cols) {
        return switch (dtype) {
            case F32 -> new F32(data, rows, cols);
            case F16 -> new F16(data, rows, cols);
            case BF16 -> new BF16(data, rows, cols);
        };
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    /** The float32 values of one vector of this matrix's elements, starting at the given byte offset. */
    abstract FloatVector widened(int byteOffset);

    @Override
    public void loadRow(int row, float[] dst, int offset) {
        int base = row * cols * dtype().byteSize();
        int c = 0;
        for (int upper = F.loopBound(cols); c < upper; c += F.length()) {
            widened(base + c * dtype().byteSize()).intoArray(dst, offset + c);
        }
        for (; c < cols; c++) {
            dst[offset + c] = get(row, c);
        }
    }

    /**
     * out[outOff + j] = row (row + j) . x[xOff, xOff + cols) for j in [0, 4), each summed the way every matmul
     * kernel sums a row: the {@link LaneSum} layout's partials, their lane sum, then the remaining columns one
     * fused multiply-add at a time. Bit-identical to widening the rows first; faster when each weight meets a
     * single input row. {@code lanes[lanesOff, + 4 * LaneSum.LANES)} is scratch.
     */
    public void dot4(int row, float[] x, int xOff, float[] out, int outOff, float[] lanes, int lanesOff) {
        int bytes = dtype().byteSize();
        int r0 = row * cols * bytes;
        int rowBytes = cols * bytes;
        int bound = LaneSum.bound(cols);
        int width = F.length();
        for (int part = 0; part < LaneSum.PARTS; part += LaneSum.PARTS_PER_SWEEP) {
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            for (int c = part * width; c < bound; c += LaneSum.LANES) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                int at = r0 + c * bytes;
                a0 = widened(at).fma(xv, a0);
                a1 = widened(at + rowBytes).fma(xv, a1);
                a2 = widened(at + 2 * rowBytes).fma(xv, a2);
                a3 = widened(at + 3 * rowBytes).fma(xv, a3);
                if (LaneSum.PARTS_PER_SWEEP == 2) { // the next part's columns, in the same sweep
                    FloatVector yv = FloatVector.fromArray(F, x, xOff + c + width);
                    int bt = at + width * bytes;
                    b0 = widened(bt).fma(yv, b0);
                    b1 = widened(bt + rowBytes).fma(yv, b1);
                    b2 = widened(bt + 2 * rowBytes).fma(yv, b2);
                    b3 = widened(bt + 3 * rowBytes).fma(yv, b3);
                }
            }
            int at = lanesOff + part * width;
            a0.intoArray(lanes, at);
            a1.intoArray(lanes, at + LaneSum.LANES);
            a2.intoArray(lanes, at + 2 * LaneSum.LANES);
            a3.intoArray(lanes, at + 3 * LaneSum.LANES);
            if (LaneSum.PARTS_PER_SWEEP == 2) {
                b0.intoArray(lanes, at + width);
                b1.intoArray(lanes, at + width + LaneSum.LANES);
                b2.intoArray(lanes, at + width + 2 * LaneSum.LANES);
                b3.intoArray(lanes, at + width + 3 * LaneSum.LANES);
            }
        }
        LaneSum.ofFourStored(lanes, lanesOff);
        out[outOff] = tail(lanes[lanesOff], row, x, xOff, bound);
        out[outOff + 1] = tail(lanes[lanesOff + 1], row + 1, x, xOff, bound);
        out[outOff + 2] = tail(lanes[lanesOff + 2], row + 2, x, xOff, bound);
        out[outOff + 3] = tail(lanes[lanesOff + 3], row + 3, x, xOff, bound);
    }

    /** The columns past the last whole vector, one fused multiply-add each. */
    private float tail(float laneSum, int row, float[] x, int xOff, int from) {
        float sum = laneSum;
        for (int c = from; c < cols; c++) {
            sum = Math.fma(get(row, c), x[xOff + c], sum);
        }
        return sum;
    }

    /** One vector of 16-bit values widened to int lanes (sign-extended: callers mask what they need). */
    static IntVector halfBits(ByteBuffer data, int byteOffset) {
        ShortVector halves = ShortVector.fromByteBuffer(S, data, byteOffset, ByteOrder.LITTLE_ENDIAN);
        return (IntVector) halves.convertShape(VectorOperators.S2I, I, 0);
    }

    /** float32 rows. */
    static final class F32 extends MappedMatrix {
        F32(ByteBuffer data, int rows, int cols) {
            super(data, rows, cols);
        }

        @Override
        public DType dtype() {
            return DType.F32;
        }

        @Override
        FloatVector widened(int byteOffset) {
            return FloatVector.fromByteBuffer(F, data, byteOffset, ByteOrder.LITTLE_ENDIAN);
        }

        @Override
        public float get(int row, int col) {
            return data.getFloat((int) (((long) row * cols + col) * 4));
        }
    }

    /** IEEE binary16 rows. */
    static final class F16 extends MappedMatrix {
        F16(ByteBuffer data, int rows, int cols) {
            super(data, rows, cols);
        }

        @Override
        public DType dtype() {
            return DType.F16;
        }

        /**
         * As F16 panels widen (see {@link PackedHalfMatrix#oddF16Column}), then the lanes holding an infinity or a
         * NaN replaced (the panels' widening has no case for them). Spelled as small steps: a method passing vectors
         * must stay within the size the JIT inlines everywhere (see VectorBoundaryTest).
         */
        @Override
        FloatVector widened(int byteOffset) {
            IntVector bits = halfBits(data, byteOffset);
            return withSpecials(bits, PackedHalfMatrix.evenF16Column(bits));
        }

        /** {@code finite}, but the lanes where {@code bits} has an all-ones exponent are {@link #special}. */
        private static FloatVector withSpecials(IntVector bits, FloatVector finite) {
            return (FloatVector) ((IntVector) finite.reinterpretShape(I, 0)).blend(special(bits), allOnes(bits))
                    .reinterpretShape(F, 0);
        }

        /**
         * Infinities and NaNs: the sign-extended half shifted left by 13 has its sign on bit 31 (its copies on
         * 28-30, which the mask clears) and its payload in float32's mantissa; the exponent becomes all ones.
         */
        private static IntVector special(IntVector bits) {
            return bits.lanewise(VectorOperators.LSHL, 13).and(PackedHalfMatrix.F16_BITS).or(0x7f800000);
        }

        private static VectorMask<Integer> allOnes(IntVector bits) {
            return bits.and(0x7c00).compare(VectorOperators.EQ, 0x7c00);
        }

        @Override
        public float get(int row, int col) {
            return HalfFloats.f16ToF32(data.getShort((int) (((long) row * cols + col) * 2)));
        }
    }

    /** bfloat16 rows: the upper half of a float32. */
    static final class BF16 extends MappedMatrix {
        BF16(ByteBuffer data, int rows, int cols) {
            super(data, rows, cols);
        }

        @Override
        public DType dtype() {
            return DType.BF16;
        }

        @Override
        FloatVector widened(int byteOffset) {
            return (FloatVector) halfBits(data, byteOffset).lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
        }

        @Override
        public float get(int row, int col) {
            return HalfFloats.bf16ToF32(data.getShort((int) (((long) row * cols + col) * 2)));
        }
    }
}
