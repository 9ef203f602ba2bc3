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
 * does not enter the arithmetic. Blocks of four and three input rows by four panels (on AVX-512; four by two
 * elsewhere), two by four and one by four share each widened weight vector across the rows of the block; every
 * block runs the same per-element sequence, which is why a row's result does not depend on the other rows of the
 * pass or on how the tiles are split between threads.
 *
 * <p>Every kernel also loads one byte {@link PackedQ8Matrix#READ_AHEAD} bytes ahead of each column it reads, a
 * software prefetch spelled as a demand load (Java has no prefetch instruction). Measured on the AVX-512 host,
 * 24 matrices of 5632x1024 cycled (beyond the caches), one row, two threads: 101-129 µs a matrix with the touch
 * against 163-185 without, and BF16 panels 214-238 µs; touching 256 bytes ahead or less was slower than no touch,
 * 2 KB ahead no faster. In whole 350M passes (scripts/q8-bench.sh, q8 against BF16 in one process) 512 and 1024
 * bytes ahead ran 1.47x BF16, 768 and 1536 1.43-1.44x, 2048 1.25x. The kernels' arithmetic per byte is twice
 * BF16's, and the hardware prefetchers alone kept the stream too short for it.
 */
final class Q8Kernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int W = PackedMatrix.PANEL;
    /**
     * At least 8 bytes (the narrowest byte vector); only the first W lanes are widened (past a tile's last column,
     * the read-ahead padding holds the extra bytes).
     */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, W * Byte.SIZE)));
    /** Float16 scale bits of one panel block: W shorts. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(W * Short.SIZE));
    private static final int GROUP = PackedQ8Matrix.PANEL_GROUP;
    private static final int TILE = PackedQ8Matrix.TILE;
    private static final int AHEAD = PackedQ8Matrix.READ_AHEAD;
    /** Accumulators of four input rows by four panels. */
    private static final int ACCUMULATORS = 4 * GROUP * W;
    /** Then one block's scales of a tile's four panels, widened (the wide kernels' {@link #scalesInto}). */
    private static final int SCALES = ACCUMULATORS;
    /** Then one slot for the sum of the bytes read ahead. */
    private static final int TOUCHED = SCALES + GROUP * W;
    /** Floats of scratch one call needs. */
    static final int SCRATCH = TOUCHED + 1;
    /**
     * Blocks of four and three rows against all four panels of a tile on CPUs with 32 vector registers (AVX-512:
     * sixteen block sums, four weight vectors and a broadcast); elsewhere rows go four at a time against two panels
     * (each tile swept twice), then in pairs. Measured on AVX-512, 350M shape, 2 threads, whole passes alternating
     * in one process: 3 rows 16.0-17.6 ms against 19.4-25.2 ms as a pair and a single row; 4 rows 18.2-18.7 ms
     * against 21.2-21.3 in 4x2 blocks, 8 rows 33.4 against 34.4-34.7 (medians of 6-8 rounds, two runs), though
     * one 1024x1024 matrix held in cache runs 10 % slower (67 against 61 µs): one sweep keeps the stream of
     * integers going while the arithmetic runs. The same 4x4 block, before the tiles and the read-ahead, ran slower
     * (25-29 ms against 18-21).
     */
    private static final boolean WIDE_BLOCKS = W >= 16;
    /** 2^(127 - 15): turns float16 bits shifted into a float32's place into their value, subnormals included. */
    private static final float F16_REBIAS = 0x1p112f;

    private Q8Kernels() {
    }

    /** Tiles [firstTile, endTile) of w for all n input rows; {@code acc} holds {@link #SCRATCH} floats. */
    static void matmul(PackedQ8Matrix w, float[] x, int n, float[] out, int firstTile, int endTile, float[] acc) {
        int cols = w.cols();
        int rows = w.rows();
        int touched = 0;
        for (int tile = firstTile; tile < endTile; tile++) {
            int row0 = tile * TILE;
            int valid = Math.min(TILE, rows - row0);
            int b = 0;
            for (; b + 4 <= n; b += 4) {
                Arrays.fill(acc, 0, ACCUMULATORS, 0f);
                if (WIDE_BLOCKS) {
                    touched += block4x4(w, tile, x, b * cols, acc);
                } else {
                    touched += block4x2(w, tile, 0, x, b * cols, acc);
                    touched += block4x2(w, tile, 2, x, b * cols, acc);
                }
                copyRows(acc, 4, out, b * rows + row0, rows, valid);
            }
            if (WIDE_BLOCKS && n - b == 3) {
                touched += block3x4(w, tile, x, b * cols, acc);
                copyRows(acc, 3, out, b * rows + row0, rows, valid);
                b += 3;
            }
            for (; b + 2 <= n; b += 2) {
                touched += block2x4(w, tile, x, b * cols, acc);
                copyRows(acc, 2, out, b * rows + row0, rows, valid);
            }
            if (b < n) {
                touched += block1x4(w, tile, x, b * cols, acc);
                System.arraycopy(acc, 0, out, b * rows + row0, valid);
            }
        }
        acc[TOUCHED] = touched; // kept, so the JIT cannot drop the loads ahead
    }

    /** The first {@code count} rows' totals of a block from acc to out, {@code valid} outputs each. */
    private static void copyRows(float[] acc, int count, float[] out, int out0, int rows, int valid) {
        for (int r = 0; r < count; r++) {
            System.arraycopy(acc, r * GROUP * W, out, out0 + r * rows, valid);
        }
    }

    /**
     * One input row against the four panels of a tile, the shape of plain decoding; results to acc[0, 4 * W). Each
     * kernel returns the sum of the bytes it read ahead.
     */
    private static int block1x4(PackedQ8Matrix w, int tile, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int q0 = tile * cols * TILE;
        int s0 = tile * blocks * TILE;
        int touched = 0;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int k = 0; k < blocks; k++) {
            FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * TILE;
                touched += q[at + AHEAD];
                FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
                b0 = quants(q, at).fma(v, b0);
                b1 = quants(q, at + W).fma(v, b1);
                b2 = quants(q, at + 2 * W).fma(v, b2);
                b3 = quants(q, at + 3 * W).fma(v, b3);
            }
            int sk = s0 + k * TILE;
            a0 = scales(s, sk).fma(b0, a0);
            a1 = scales(s, sk + W).fma(b1, a1);
            a2 = scales(s, sk + 2 * W).fma(b2, a2);
            a3 = scales(s, sk + 3 * W).fma(b3, a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, W);
        a2.intoArray(acc, 2 * W);
        a3.intoArray(acc, 3 * W);
        return touched;
    }

    /**
     * Two input rows against four panels; results to acc[0, 4 * W) and acc[4 * W, 8 * W). The eight block sums
     * take the registers (with four weight vectors and a broadcast, 13 of AVX2's 16), so the running totals wait
     * in {@code acc}, touched once per block.
     */
    private static int block2x4(PackedQ8Matrix w, int tile, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int q0 = tile * cols * TILE;
        int s0 = tile * blocks * TILE;
        int touched = 0;
        int x1 = x0 + cols;
        Arrays.fill(acc, 0, 2 * GROUP * W, 0f);
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b02 = FloatVector.zero(F), b03 = FloatVector.zero(F);
            FloatVector b10 = FloatVector.zero(F), b11 = FloatVector.zero(F), b12 = FloatVector.zero(F), b13 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * TILE;
                touched += q[at + AHEAD];
                FloatVector p0 = quants(q, at);
                FloatVector p1 = quants(q, at + W);
                FloatVector p2 = quants(q, at + 2 * W);
                FloatVector p3 = quants(q, at + 3 * W);
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
            int sk = s0 + k * TILE;
            FloatVector s0v = scales(s, sk);
            FloatVector s1v = scales(s, sk + W);
            FloatVector s2v = scales(s, sk + 2 * W);
            FloatVector s3v = scales(s, sk + 3 * W);
            s0v.fma(b00, FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            s1v.fma(b01, FloatVector.fromArray(F, acc, W)).intoArray(acc, W);
            s2v.fma(b02, FloatVector.fromArray(F, acc, 2 * W)).intoArray(acc, 2 * W);
            s3v.fma(b03, FloatVector.fromArray(F, acc, 3 * W)).intoArray(acc, 3 * W);
            s0v.fma(b10, FloatVector.fromArray(F, acc, 4 * W)).intoArray(acc, 4 * W);
            s1v.fma(b11, FloatVector.fromArray(F, acc, 5 * W)).intoArray(acc, 5 * W);
            s2v.fma(b12, FloatVector.fromArray(F, acc, 6 * W)).intoArray(acc, 6 * W);
            s3v.fma(b13, FloatVector.fromArray(F, acc, 7 * W)).intoArray(acc, 7 * W);
        }
        return touched;
    }

    /**
     * Three input rows against four panels (AVX-512 only: twelve block sums, four weight vectors and a broadcast
     * would spill on AVX2's 16 registers); results to acc[r * 4 * W, + 4 * W) for row r. The widening is spelled
     * out rather than called through {@link #quants}, as in PackedKernels' four-row BF16 block, so that this larger
     * kernel's compile does not depend on C2 still inlining a helper near its node-count cutoff.
     */
    private static int block3x4(PackedQ8Matrix w, int tile, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int q0 = tile * cols * TILE;
        int s0 = tile * blocks * TILE;
        int touched = 0;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        Arrays.fill(acc, 0, 3 * GROUP * W, 0f);
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b02 = FloatVector.zero(F), b03 = FloatVector.zero(F);
            FloatVector b10 = FloatVector.zero(F), b11 = FloatVector.zero(F), b12 = FloatVector.zero(F), b13 = FloatVector.zero(F);
            FloatVector b20 = FloatVector.zero(F), b21 = FloatVector.zero(F), b22 = FloatVector.zero(F), b23 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * TILE;
                touched += q[at + AHEAD];
                FloatVector p0 = (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p1 = (FloatVector) ByteVector.fromArray(B, q, at + W).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p2 = (FloatVector) ByteVector.fromArray(B, q, at + 2 * W).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p3 = (FloatVector) ByteVector.fromArray(B, q, at + 3 * W).convertShape(VectorOperators.B2I, I, 0)
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
            scalesInto(s, s0 + k * TILE, acc);
            FloatVector s0v = FloatVector.fromArray(F, acc, SCALES);
            FloatVector s1v = FloatVector.fromArray(F, acc, SCALES + W);
            FloatVector s2v = FloatVector.fromArray(F, acc, SCALES + 2 * W);
            FloatVector s3v = FloatVector.fromArray(F, acc, SCALES + 3 * W);
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
        return touched;
    }

    /**
     * Four input rows against the four panels of a tile (AVX-512: sixteen block sums); row r's totals at
     * acc[r * 4 * W, + 4 * W), added to what is there (zero before the first block). Spelled out like
     * {@link #block3x4}.
     */
    private static int block4x4(PackedQ8Matrix w, int tile, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int q0 = tile * cols * TILE;
        int s0 = tile * blocks * TILE;
        int touched = 0;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b02 = FloatVector.zero(F), b03 = FloatVector.zero(F);
            FloatVector b10 = FloatVector.zero(F), b11 = FloatVector.zero(F), b12 = FloatVector.zero(F), b13 = FloatVector.zero(F);
            FloatVector b20 = FloatVector.zero(F), b21 = FloatVector.zero(F), b22 = FloatVector.zero(F), b23 = FloatVector.zero(F);
            FloatVector b30 = FloatVector.zero(F), b31 = FloatVector.zero(F), b32 = FloatVector.zero(F), b33 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * TILE;
                touched += q[at + AHEAD];
                FloatVector p0 = (FloatVector) ByteVector.fromArray(B, q, at).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p1 = (FloatVector) ByteVector.fromArray(B, q, at + W).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p2 = (FloatVector) ByteVector.fromArray(B, q, at + 2 * W).convertShape(VectorOperators.B2I, I, 0)
                        .convertShape(VectorOperators.I2F, F, 0);
                FloatVector p3 = (FloatVector) ByteVector.fromArray(B, q, at + 3 * W).convertShape(VectorOperators.B2I, I, 0)
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
                v = FloatVector.broadcast(F, x[x3 + c]);
                b30 = p0.fma(v, b30);
                b31 = p1.fma(v, b31);
                b32 = p2.fma(v, b32);
                b33 = p3.fma(v, b33);
            }
            scalesInto(s, s0 + k * TILE, acc);
            FloatVector s0v = FloatVector.fromArray(F, acc, SCALES);
            FloatVector s1v = FloatVector.fromArray(F, acc, SCALES + W);
            FloatVector s2v = FloatVector.fromArray(F, acc, SCALES + 2 * W);
            FloatVector s3v = FloatVector.fromArray(F, acc, SCALES + 3 * W);
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
            s0v.fma(b30, FloatVector.fromArray(F, acc, 12 * W)).intoArray(acc, 12 * W);
            s1v.fma(b31, FloatVector.fromArray(F, acc, 13 * W)).intoArray(acc, 13 * W);
            s2v.fma(b32, FloatVector.fromArray(F, acc, 14 * W)).intoArray(acc, 14 * W);
            s3v.fma(b33, FloatVector.fromArray(F, acc, 15 * W)).intoArray(acc, 15 * W);
        }
        return touched;
    }

    /**
     * Four input rows against panels {@code first} and {@code first + 1} of a tile, on CPUs with 16 vector
     * registers (each widened weight vector feeds four rows); row r's totals at acc[r * 4 * W + first * W, + 2 * W),
     * added to what is there (zero before the first block).
     */
    private static int block4x2(PackedQ8Matrix w, int tile, int first, float[] x, int x0, float[] acc) {
        byte[] q = w.quants();
        short[] s = w.scales();
        int cols = w.cols();
        int blocks = w.blockCount();
        int q0 = tile * cols * TILE + first * W;
        int s0 = tile * blocks * TILE + first * W;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int rowStride = GROUP * W;
        int touched = 0;
        for (int k = 0; k < blocks; k++) {
            FloatVector b00 = FloatVector.zero(F), b01 = FloatVector.zero(F), b10 = FloatVector.zero(F), b11 = FloatVector.zero(F);
            FloatVector b20 = FloatVector.zero(F), b21 = FloatVector.zero(F), b30 = FloatVector.zero(F), b31 = FloatVector.zero(F);
            int end = Math.min(cols, (k + 1) * PackedQ8Matrix.BLOCK);
            for (int c = k * PackedQ8Matrix.BLOCK; c < end; c++) {
                int at = q0 + c * TILE;
                touched += q[at + AHEAD];
                FloatVector p0 = quants(q, at);
                FloatVector p1 = quants(q, at + W);
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
            FloatVector s0v = scales(s, s0 + k * TILE);
            FloatVector s1v = scales(s, s0 + k * TILE + W);
            int a = first * W;
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
        return touched;
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
     * A block's scales of a tile's four panels, s[at, at + GROUP * W), widened into acc[SCALES, + GROUP * W). For the
     * three- and four-row kernels: their compiles reach C2's node cutoff, which left the last calls of
     * {@link #scales} out of line and boxed their vectors (an allocation a call; one thread, 1024x1024 in cache,
     * four rows: 73 µs, against 44 µs for BF16 panels). A small method compiled on its own, then four loads.
     */
    private static void scalesInto(short[] s, int at, float[] acc) {
        for (int p = 0; p < GROUP; p++) {
            scales(s, at + p * W).intoArray(acc, SCALES + p * W);
        }
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
