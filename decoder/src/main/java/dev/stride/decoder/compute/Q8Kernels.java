package dev.stride.decoder.compute;

import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matmul over a {@link PackedQ8Matrix}. Every output element is, for its blocks in column order, a block sum
 * {@code b = fma(q[c], x[c], b)} over the block's columns in order (the 8-bit integers widened to float in
 * registers, exactly), then {@code acc = fma(scale, b, acc)}: one multiply by the scale per 32 weights, not per
 * weight. The lanes of a vector are output rows of one panel, so no lane reduction occurs and the vector width
 * does not enter the arithmetic. Blocks of four input rows by two panels, three by four (on AVX-512), two by four
 * and one by four share each widened weight vector across the rows of the block; every block runs the same
 * per-element sequence, which is why a row's result does not depend on the other rows of the pass or on how the
 * panels are split between threads.
 */
final class Q8Kernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int W = PackedMatrix.PANEL;
    /** At least 8 bytes (the narrowest byte vector); only the first W lanes are widened. */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, W * Byte.SIZE)));
    /** Float16 scale bits of one panel block: W shorts. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(W * Short.SIZE));
    private static final int GROUP = PackedQ8Matrix.PANEL_GROUP;
    /** Floats of scratch one call needs: the accumulators of four input rows by four panels. */
    static final int SCRATCH = 4 * GROUP * W;
    /**
     * Three-row blocks on CPUs with 32 vector registers (AVX-512); rows go four at a time against two panels first
     * on every CPU. Measured on AVX-512 (350M shape, 2 threads, one process, alternating rounds): 3 rows 16.0-17.6
     * ms against 19.4-25.2 ms as a pair and a single row. Four-row blocks against rows in pairs: even at 4 rows, 2-5 %
     * faster at 8 (pairs had won there before the scales' widening was split to be inlined). A four-row, four-panel
     * block ran slower: 25-29 ms at 4 rows against 18-21.
     */
    private static final boolean THREE_ROW_BLOCKS = W >= 16;
    /** 2^(127 - 15): turns float16 bits shifted into a float32's place into their value, subnormals included. */
    private static final float F16_REBIAS = 0x1p112f;

    private Q8Kernels() {
    }

    /** Panel groups [firstGroup, endGroup) of w for all n input rows; {@code acc} holds {@link #SCRATCH} floats. */
    static void matmul(PackedQ8Matrix w, float[] x, int n, float[] out, int firstGroup, int endGroup, float[] acc) {
        int cols = w.cols();
        int rows = w.rows();
        for (int group = firstGroup; group < endGroup; group++) {
            int panel = group * GROUP;
            int valid = Math.min(GROUP * W, rows - panel * W);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                Arrays.fill(acc, 0, SCRATCH, 0f);
                block4x2(w, panel, x, b * cols, acc, 0);
                block4x2(w, panel + 2, x, b * cols, acc, 2 * W);
                copyRows(acc, 4, out, b * rows + panel * W, rows, valid);
            }
            if (THREE_ROW_BLOCKS && n - b == 3) {
                block3x4(w, panel, x, b * cols, acc);
                copyRows(acc, 3, out, b * rows + panel * W, rows, valid);
                b += 3;
            }
            for (; b + 2 <= n; b += 2) {
                block2x4(w, panel, x, b * cols, acc);
                copyRows(acc, 2, out, b * rows + panel * W, rows, valid);
            }
            if (b < n) {
                block1x4(w, panel, x, b * cols, acc);
                System.arraycopy(acc, 0, out, b * rows + panel * W, valid);
            }
        }
    }

    /** The first {@code count} rows' totals of a block from acc to out, {@code valid} outputs each. */
    private static void copyRows(float[] acc, int count, float[] out, int out0, int rows, int valid) {
        for (int r = 0; r < count; r++) {
            System.arraycopy(acc, r * GROUP * W, out, out0 + r * rows, valid);
        }
    }

    /** One input row against four panels, the shape of plain decoding; results to acc[0, 4 * W). */
    private static void block1x4(PackedQ8Matrix w, int panel, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int qs = cols * W;
        int ss = blocks * W;
        int q0 = panel * qs;
        int s0 = panel * ss;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int k = 0; k < blocks; k++) {
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * W;
                FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
                b0 = quants(q, at).fma(v, b0);
                b1 = quants(q, at + qs).fma(v, b1);
                b2 = quants(q, at + 2 * qs).fma(v, b2);
                b3 = quants(q, at + 3 * qs).fma(v, b3);
            }
            int sk = s0 + k * W;
            a0 = scales(s, sk).fma(b0, a0);
            a1 = scales(s, sk + ss).fma(b1, a1);
            a2 = scales(s, sk + 2 * ss).fma(b2, a2);
            a3 = scales(s, sk + 3 * ss).fma(b3, a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, W);
        a2.intoArray(acc, 2 * W);
        a3.intoArray(acc, 3 * W);
    }

    /**
     * Two input rows against four panels; results to acc[0, 4 * W) and acc[4 * W, 8 * W). The eight block sums
     * take the registers (with four weight vectors and a broadcast, 13 of AVX2's 16), so the running totals wait
     * in {@code acc}, touched once per block.
     */
    private static void block2x4(PackedQ8Matrix w, int panel, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int qs = cols * W;
        int ss = blocks * W;
        int q0 = panel * qs;
        int s0 = panel * ss;
        int x1 = x0 + cols;
        Arrays.fill(acc, 0, 2 * GROUP * W, 0f);
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b02 = FloatVector.zero(F), b03 = FloatVector.zero(F);
            FloatVector b10 = FloatVector.zero(F), b11 = FloatVector.zero(F), b12 = FloatVector.zero(F), b13 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * W;
                FloatVector p0 = quants(q, at);
                FloatVector p1 = quants(q, at + qs);
                FloatVector p2 = quants(q, at + 2 * qs);
                FloatVector p3 = quants(q, at + 3 * qs);
                FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
                b00 = p0.fma(v, b00);
                b01 = p1.fma(v, b01);
                b02 = p2.fma(v, b02);
                b03 = p3.fma(v, b03);
                v = FloatVector.broadcast(F, x[x1 + c]);
                b10 = p0.fma(v, b10);
                b11 = p1.fma(v, b11);
                b12 = p2.fma(v, b12);
                b13 = p3.fma(v, b13);
            }
            int sk = s0 + k * W;
            FloatVector s0v = scales(s, sk);
            FloatVector s1v = scales(s, sk + ss);
            FloatVector s2v = scales(s, sk + 2 * ss);
            FloatVector s3v = scales(s, sk + 3 * ss);
            s0v.fma(b00, FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            s1v.fma(b01, FloatVector.fromArray(F, acc, W)).intoArray(acc, W);
            s2v.fma(b02, FloatVector.fromArray(F, acc, 2 * W)).intoArray(acc, 2 * W);
            s3v.fma(b03, FloatVector.fromArray(F, acc, 3 * W)).intoArray(acc, 3 * W);
            s0v.fma(b10, FloatVector.fromArray(F, acc, 4 * W)).intoArray(acc, 4 * W);
            s1v.fma(b11, FloatVector.fromArray(F, acc, 5 * W)).intoArray(acc, 5 * W);
            s2v.fma(b12, FloatVector.fromArray(F, acc, 6 * W)).intoArray(acc, 6 * W);
            s3v.fma(b13, FloatVector.fromArray(F, acc, 7 * W)).intoArray(acc, 7 * W);
        }
    }

    /**
     * Three input rows against four panels (AVX-512 only: twelve block sums, four weight vectors and a broadcast
     * would spill on AVX2's 16 registers); results to acc[r * 4 * W, + 4 * W) for row r. The widening is spelled
     * out rather than called through {@link #quants}, as in PackedKernels' four-row BF16 block, so that this larger
     * kernel's compile does not depend on C2 still inlining a helper near its node-count cutoff.
     */
    private static void block3x4(PackedQ8Matrix w, int panel, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int qs = cols * W;
        int ss = blocks * W;
        int q0 = panel * qs;
        int s0 = panel * ss;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        Arrays.fill(acc, 0, 3 * GROUP * W, 0f);
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b02 = FloatVector.zero(F), b03 = FloatVector.zero(F);
            FloatVector b10 = FloatVector.zero(F), b11 = FloatVector.zero(F), b12 = FloatVector.zero(F), b13 = FloatVector.zero(F);
            FloatVector b20 = FloatVector.zero(F), b21 = FloatVector.zero(F), b22 = FloatVector.zero(F), b23 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * W;
                FloatVector p0 = (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p1 = (FloatVector) ByteVector.fromArray(B, q, at + qs).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p2 = (FloatVector) ByteVector.fromArray(B, q, at + 2 * qs).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p3 = (FloatVector) ByteVector.fromArray(B, q, at + 3 * qs).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
                b00 = p0.fma(v, b00);
                b01 = p1.fma(v, b01);
                b02 = p2.fma(v, b02);
                b03 = p3.fma(v, b03);
                v = FloatVector.broadcast(F, x[x1 + c]);
                b10 = p0.fma(v, b10);
                b11 = p1.fma(v, b11);
                b12 = p2.fma(v, b12);
                b13 = p3.fma(v, b13);
                v = FloatVector.broadcast(F, x[x2 + c]);
                b20 = p0.fma(v, b20);
                b21 = p1.fma(v, b21);
                b22 = p2.fma(v, b22);
                b23 = p3.fma(v, b23);
            }
            int sk = s0 + k * W;
            FloatVector s0v = scales(s, sk);
            FloatVector s1v = scales(s, sk + ss);
            FloatVector s2v = scales(s, sk + 2 * ss);
            FloatVector s3v = scales(s, sk + 3 * ss);
            s0v.fma(b00, FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            s1v.fma(b01, FloatVector.fromArray(F, acc, W)).intoArray(acc, W);
            s2v.fma(b02, FloatVector.fromArray(F, acc, 2 * W)).intoArray(acc, 2 * W);
            s3v.fma(b03, FloatVector.fromArray(F, acc, 3 * W)).intoArray(acc, 3 * W);
            s0v.fma(b10, FloatVector.fromArray(F, acc, 4 * W)).intoArray(acc, 4 * W);
            s1v.fma(b11, FloatVector.fromArray(F, acc, 5 * W)).intoArray(acc, 5 * W);
            s2v.fma(b12, FloatVector.fromArray(F, acc, 6 * W)).intoArray(acc, 6 * W);
            s3v.fma(b13, FloatVector.fromArray(F, acc, 7 * W)).intoArray(acc, 7 * W);
            s0v.fma(b20, FloatVector.fromArray(F, acc, 8 * W)).intoArray(acc, 8 * W);
            s1v.fma(b21, FloatVector.fromArray(F, acc, 9 * W)).intoArray(acc, 9 * W);
            s2v.fma(b22, FloatVector.fromArray(F, acc, 10 * W)).intoArray(acc, 10 * W);
            s3v.fma(b23, FloatVector.fromArray(F, acc, 11 * W)).intoArray(acc, 11 * W);
        }
    }

    /**
     * Four input rows against two panels (prefill and wide trees: each widened weight vector feeds four rows); row
     * r's totals at acc[r * 4 * W + at, + 2 * W), added to what is there (zero before the first block).
     */
    private static void block4x2(PackedQ8Matrix w, int panel, float[] x, int x0, float[] acc, int at) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int qs = cols * W;
        int ss = blocks * W;
        int q0 = panel * qs;
        int s0 = panel * ss;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int rowStride = GROUP * W;
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b10 = FloatVector.zero(F), b11 = FloatVector.zero(F);
            FloatVector b20 = FloatVector.zero(F), b21 = FloatVector.zero(F), b30 = FloatVector.zero(F), b31 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                FloatVector p0 = quants(q, q0 + c * W);
                FloatVector p1 = quants(q, q0 + c * W + qs);
                FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
                b00 = p0.fma(v, b00);
                b01 = p1.fma(v, b01);
                v = FloatVector.broadcast(F, x[x1 + c]);
                b10 = p0.fma(v, b10);
                b11 = p1.fma(v, b11);
                v = FloatVector.broadcast(F, x[x2 + c]);
                b20 = p0.fma(v, b20);
                b21 = p1.fma(v, b21);
                v = FloatVector.broadcast(F, x[x3 + c]);
                b30 = p0.fma(v, b30);
                b31 = p1.fma(v, b31);
            }
            FloatVector s0v = scales(s, s0 + k * W);
            FloatVector s1v = scales(s, s0 + k * W + ss);
            int a = at;
            s0v.fma(b00, FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            s1v.fma(b01, FloatVector.fromArray(F, acc, a + W)).intoArray(acc, a + W);
            a += rowStride;
            s0v.fma(b10, FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            s1v.fma(b11, FloatVector.fromArray(F, acc, a + W)).intoArray(acc, a + W);
            a += rowStride;
            s0v.fma(b20, FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            s1v.fma(b21, FloatVector.fromArray(F, acc, a + W)).intoArray(acc, a + W);
            a += rowStride;
            s0v.fma(b30, FloatVector.fromArray(F, acc, a)).intoArray(acc, a);
            s1v.fma(b31, FloatVector.fromArray(F, acc, a + W)).intoArray(acc, a + W);
        }
    }

    /**
     * The W 8-bit integers of one panel column from q[at], widened to float (exactly). Through int: on JDK 17 with
     * AVX2 the two steps compile to a sign extension and a conversion, 1.4x faster than the one-step B2F.
     */
    private static FloatVector quants(byte[] q, int at) {
        return (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2I, I, 0)
                .convertShape(VectorOperators.I2F, F, 0);
    }

    /**
     * The W float16 scales from s[at] as float32: the bits moved into a float32's place and multiplied by
     * 2^112, which is exact for normal and subnormal halves alike (scales are never negative, infinite or NaN).
     * Conversions name their target species: see VectorExp.
     */
    private static FloatVector scales(short[] s, int at) {
        return halfBitsInPlace(ShortVector.fromArray(S, s, at)).mul(F16_REBIAS);
    }

    /**
     * Float16 bits moved into a float32's place. A method of its own so that both stay under the JIT's inlining
     * size for call sites it does not deem hot (once per 32 columns): as one 45-byte method, calls of it in the
     * wider kernels' compiles were left out ("callee is too large") and their vectors boxed.
     */
    private static FloatVector halfBitsInPlace(ShortVector half) {
        return (FloatVector) half.convertShape(VectorOperators.S2I, I, 0).lanewise(VectorOperators.LSHL, 13)
                .reinterpretShape(F, 0);
    }
}
