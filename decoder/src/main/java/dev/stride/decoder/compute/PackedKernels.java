package dev.stride.decoder.compute;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The matmul over a {@link PackedMatrix} (and a {@link PackedHalfMatrix}, its column pairs widened in registers,
 * or for long prefills a few panels at a time into scratch): out[b][panel rows] accumulates, column by column, the
 * panel's column vector times the broadcast input x[b][c].
 * Blocks of up to 4 input rows x 4 panels keep their accumulators in registers, so each loaded weight vector feeds
 * every row of the block and each broadcast input feeds 4 panels. The 1- to 4-row blocks are spelled out one by
 * one: the JIT keeps vectors in registers only as named locals, never in an array. Every block runs the same
 * per-element sequence (acc = fma(w[c], x[c], acc) for c = 0, 1, ...), which is why a row's result does not depend
 * on its neighbours in the pass.
 */
final class PackedKernels {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int W = PackedMatrix.PANEL;
    private static final int F16_BITS = PackedHalfMatrix.F16_BITS;
    private static final float F16_REBIAS = PackedHalfMatrix.F16_REBIAS;
    /**
     * Input rows per register block: up to 4 (or 6, for five or six rows) on CPUs with 16-lane vectors (AVX-512 has
     * 32 vector registers), 2 elsewhere (AVX2 and NEON kernels with 16 accumulators would spill them to the stack).
     */
    private static final int BLOCK_ROWS = W >= 16 ? 4 : 2;
    /**
     * Below this many input rows BF16 and F16 panels are widened in registers, several rows sharing each widened
     * column, rather than into scratch for the float32 kernels. Measured on AVX2 with column pairs (350M shape,
     * `bench --pass-cost`, 2 threads, two runs each): 16 rows 242-244 ms in registers against 294-302 ms through
     * scratch, 32 rows 482-491 against 536, 64 rows 963-1005 against 981-1031.
     */
    private static final int HALF_REGISTER_ROWS = 64;
    /**
     * Half-float register blocks on CPUs with 32 vector registers (AVX-512): four (then three) input rows against four
     * panels, 16 accumulators, each widened column feeding four rows. With 16 registers (AVX2, NEON) those would
     * spill, so rows go four at a time against two panels there (two or three rows too). Measured on AVX-512 (350M
     * shape in BF16, 2 threads, one process, alternating): 3 / 4 / 8 rows 14.4-14.8 / 15.4-15.9 / 22.3-22.5 ms
     * against 17.5-17.9 / 17.5-17.9 / 26.2-26.3 ms for rows in pairs; one and two rows unchanged (13.1 / 13.5-13.9
     * ms).
     */
    private static final boolean HALF_WIDE_BLOCKS = W >= 16;

    private PackedKernels() {
    }

    /** Panels [firstPanel, endPanel) of w for all n input rows. */
    static void matmul(PackedMatrix w, float[] x, int n, float[] out, int firstPanel, int endPanel) {
        int panelStride = w.cols() * W;
        int fullEnd = Math.min(endPanel, w.rows() / W); // panels with all W rows present
        int panel = firstPanel;
        for (; panel + 4 <= fullEnd; panel += 4) {
            sweepFour(w.panels(), panel * panelStride, panel, w.rows(), w.cols(), x, n, out);
        }
        for (; panel < endPanel; panel++) {
            sweepOne(w.panels(), panel * panelStride, panel, w.rows(), w.cols(), x, n, out);
        }
    }

    /**
     * The same over BF16 or F16 panels. With {@code registerInputs} (as {@link #registerInputs} prepares them:
     * decoding, trees, most prompts) the panels are widened in registers, straight into the multiply-adds of four rows
     * at a time (then three, two, one; see {@link #HALF_WIDE_BLOCKS}); without (null: long prefills) each group of
     * panels is widened into {@code scratch} (at least 4 * cols * W floats) once and then swept by the float32 kernels
     * for every input row.
     */
    static void matmul(PackedHalfMatrix w, float[] x, int n, float[] out, int firstPanel, int endPanel,
                       float[] registerInputs, float[] scratch) {
        int fullEnd = Math.min(endPanel, w.rows() / W);
        int panel = firstPanel;
        for (; panel + 4 <= fullEnd; panel += 4) {
            if (registerInputs == null) {
                w.widenPanels(panel, 4, scratch);
                sweepFour(scratch, 0, panel, w.rows(), w.cols(), x, n, out);
            } else {
                fourPanels(w, registerInputs, n, out, panel);
            }
        }
        for (; panel < endPanel; panel++) {
            w.widenPanels(panel, 1, scratch);
            sweepOne(scratch, 0, panel, w.rows(), w.cols(), x, n, out);
        }
    }

    /**
     * The inputs of the register blocks of {@code w}, or null where panels go through scratch: below
     * {@link #HALF_REGISTER_ROWS} input rows, x itself for BF16; for F16, x times 2^112 in {@code buffer} (at least
     * n * cols floats), since the F16 blocks leave that factor out of the widened weights. An F16 matmul whose inputs
     * reach 2^16 (their scaled values would overflow; a rare activation) goes through scratch, with the same bits.
     */
    static float[] registerInputs(PackedHalfMatrix w, float[] x, int n, float[] buffer) {
        if (n >= HALF_REGISTER_ROWS) {
            return null;
        }
        if (w.dtype() != DType.F16) {
            return x;
        }
        int length = n * w.cols();
        int i = 0;
        for (int bound = F.loopBound(length); i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, x, i);
            if (v.abs().compare(VectorOperators.GE, 0x1p16f).anyTrue()) {
                return null;
            }
            v.mul(F16_REBIAS).intoArray(buffer, i);
        }
        for (; i < length; i++) {
            if (Math.abs(x[i]) >= 0x1p16f) {
                return null;
            }
            buffer[i] = x[i] * F16_REBIAS;
        }
        return buffer;
    }

    /**
     * Panels [panel, panel + 4) of w for all n input rows, widened in registers by the blocks of w's format: four rows
     * at a time (then three) against four panels where {@link #HALF_WIDE_BLOCKS}, else against two panels, then
     * pairs, then one row.
     */
    private static void fourPanels(PackedHalfMatrix w, float[] x, int n, float[] out, int panel) {
        boolean f16 = w.dtype() == DType.F16;
        int[] p = w.pairs();
        int cols = w.cols();
        int rows = w.rows();
        int ws = PackedHalfMatrix.pairColumns(cols) * W;
        int w0 = panel * ws;
        int b = 0;
        if (HALF_WIDE_BLOCKS) {
            for (; b + 4 <= n; b += 4) {
                if (f16) {
                    f16Block4x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
                } else {
                    bf16Block4x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
                }
            }
            if (n - b == 3) {
                if (f16) {
                    f16Block3x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
                } else {
                    bf16Block3x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
                }
                b += 3;
            }
        } else {
            while (n - b >= 2) { // two or three rows too: rows in pairs spill AVX2's 16 registers
                int valid = Math.min(4, n - b);
                for (int half = 0; half < 4; half += 2) {
                    int at = b * rows + (panel + half) * W;
                    if (f16) {
                        f16Block4x2(p, w0 + half * ws, ws, cols, x, b * cols, out, at, rows, valid);
                    } else {
                        bf16Block4x2(p, w0 + half * ws, ws, cols, x, b * cols, out, at, rows, valid);
                    }
                }
                b += valid;
            }
        }
        for (; b + 2 <= n; b += 2) {
            if (f16) {
                f16Block2x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
            } else {
                bf16Block2x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W, rows);
            }
        }
        if (b < n) {
            if (f16) {
                f16Block1x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W);
            } else {
                bf16Block1x4(p, w0, ws, cols, x, b * cols, out, b * rows + panel * W);
            }
        }
    }

    /** Four full panels starting at p[w0] (the first is panel {@code panel}) against all n input rows. */
    private static void sweepFour(float[] p, int w0, int panel, int rows, int cols, float[] x, int n, float[] out) {
        int panelStride = cols * W;
        int out0 = panel * W;
        for (int b = 0; b < n; ) {
            int left = n - b;
            // A block of up to 4 rows costs about the same, bound by reading the weights from L2, so 5 or 6 rows
            // go as one six-row block (a fifth row repeats itself in the sixth) rather than as two blocks: demo,
            // 2 threads, one process alternating, whole passes of 5 / 6 rows 188 / 202 µs against 221 / 238.
            int take = BLOCK_ROWS == 2 ? Math.min(2, left) : left == 5 || left == 6 ? left : Math.min(4, left);
            switch (take) {
                case 6, 5 -> block6x4(p, w0, panelStride, cols, x, b * cols, out, b * rows + out0, rows, take);
                case 4 -> block4x4(p, w0, panelStride, cols, x, b * cols, out, b * rows + out0, rows);
                case 3 -> block3x4(p, w0, panelStride, cols, x, b * cols, out, b * rows + out0, rows);
                case 2 -> block2x4(p, w0, panelStride, cols, x, b * cols, out, b * rows + out0, rows);
                default -> block1x4(p, w0, panelStride, cols, x, b * cols, out, b * rows + out0);
            }
            b += take;
        }
    }

    /** One panel at p[w0] (panel {@code panel}, possibly the partial last one) against all n input rows. */
    private static void sweepOne(float[] p, int w0, int panel, int rows, int cols, float[] x, int n, float[] out) {
        int valid = Math.min(W, rows - panel * W);
        int b = 0;
        for (; b + 4 <= n; b += 4) {
            block4x1(p, w0, cols, x, b * cols, out, b * rows + panel * W, rows, valid);
        }
        for (; b < n; b++) {
            block1x1(p, w0, cols, x, b * cols, out, b * rows + panel * W, valid);
        }
    }

    /**
     * Six input rows (or five: the sixth then repeats the fifth, input and output, so the same bits land twice)
     * against four panels: 24 accumulators, four weight vectors and a broadcast in AVX-512's 32 registers.
     */
    private static void block6x4(float[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                 int outStride, int count) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        FloatVector a40 = FloatVector.zero(F), a41 = FloatVector.zero(F), a42 = FloatVector.zero(F), a43 = FloatVector.zero(F);
        FloatVector a50 = FloatVector.zero(F), a51 = FloatVector.zero(F), a52 = FloatVector.zero(F), a53 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        int x4 = x3 + cols;
        int x5 = x0 + (count - 1) * cols;
        for (int c = 0; c < cols; c++) {
            int wc = w0 + c * W;
            FloatVector p0 = FloatVector.fromArray(F, w, wc);
            FloatVector p1 = FloatVector.fromArray(F, w, wc + ws);
            FloatVector p2 = FloatVector.fromArray(F, w, wc + 2 * ws);
            FloatVector p3 = FloatVector.fromArray(F, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            a02 = p2.fma(v, a02);
            a03 = p3.fma(v, a03);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            a12 = p2.fma(v, a12);
            a13 = p3.fma(v, a13);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = p0.fma(v, a20);
            a21 = p1.fma(v, a21);
            a22 = p2.fma(v, a22);
            a23 = p3.fma(v, a23);
            v = FloatVector.broadcast(F, x[x3 + c]);
            a30 = p0.fma(v, a30);
            a31 = p1.fma(v, a31);
            a32 = p2.fma(v, a32);
            a33 = p3.fma(v, a33);
            v = FloatVector.broadcast(F, x[x4 + c]);
            a40 = p0.fma(v, a40);
            a41 = p1.fma(v, a41);
            a42 = p2.fma(v, a42);
            a43 = p3.fma(v, a43);
            v = FloatVector.broadcast(F, x[x5 + c]);
            a50 = p0.fma(v, a50);
            a51 = p1.fma(v, a51);
            a52 = p2.fma(v, a52);
            a53 = p3.fma(v, a53);
        }
        int o1 = out0 + outStride;
        int o2 = o1 + outStride;
        int o3 = o2 + outStride;
        int o4 = o3 + outStride;
        int o5 = out0 + (count - 1) * outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
        a30.intoArray(out, o3);
        a31.intoArray(out, o3 + W);
        a32.intoArray(out, o3 + 2 * W);
        a33.intoArray(out, o3 + 3 * W);
        a40.intoArray(out, o4);
        a41.intoArray(out, o4 + W);
        a42.intoArray(out, o4 + 2 * W);
        a43.intoArray(out, o4 + 3 * W);
        a50.intoArray(out, o5);
        a51.intoArray(out, o5 + W);
        a52.intoArray(out, o5 + 2 * W);
        a53.intoArray(out, o5 + 3 * W);
    }

    private static void block4x4(float[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                 int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int c = 0; c < cols; c++) {
            int wc = w0 + c * W;
            FloatVector p0 = FloatVector.fromArray(F, w, wc);
            FloatVector p1 = FloatVector.fromArray(F, w, wc + ws);
            FloatVector p2 = FloatVector.fromArray(F, w, wc + 2 * ws);
            FloatVector p3 = FloatVector.fromArray(F, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            a02 = p2.fma(v, a02);
            a03 = p3.fma(v, a03);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            a12 = p2.fma(v, a12);
            a13 = p3.fma(v, a13);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = p0.fma(v, a20);
            a21 = p1.fma(v, a21);
            a22 = p2.fma(v, a22);
            a23 = p3.fma(v, a23);
            v = FloatVector.broadcast(F, x[x3 + c]);
            a30 = p0.fma(v, a30);
            a31 = p1.fma(v, a31);
            a32 = p2.fma(v, a32);
            a33 = p3.fma(v, a33);
        }
        int o1 = out0 + outStride;
        int o2 = o1 + outStride;
        int o3 = o2 + outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
        a30.intoArray(out, o3);
        a31.intoArray(out, o3 + W);
        a32.intoArray(out, o3 + 2 * W);
        a33.intoArray(out, o3 + 3 * W);
    }

    private static void block3x4(float[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                 int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        for (int c = 0; c < cols; c++) {
            int wc = w0 + c * W;
            FloatVector p0 = FloatVector.fromArray(F, w, wc);
            FloatVector p1 = FloatVector.fromArray(F, w, wc + ws);
            FloatVector p2 = FloatVector.fromArray(F, w, wc + 2 * ws);
            FloatVector p3 = FloatVector.fromArray(F, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            a02 = p2.fma(v, a02);
            a03 = p3.fma(v, a03);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            a12 = p2.fma(v, a12);
            a13 = p3.fma(v, a13);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = p0.fma(v, a20);
            a21 = p1.fma(v, a21);
            a22 = p2.fma(v, a22);
            a23 = p3.fma(v, a23);
        }
        int o1 = out0 + outStride;
        int o2 = o1 + outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
    }

    private static void block2x4(float[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                 int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        int x1 = x0 + cols;
        for (int c = 0; c < cols; c++) {
            int wc = w0 + c * W;
            FloatVector p0 = FloatVector.fromArray(F, w, wc);
            FloatVector p1 = FloatVector.fromArray(F, w, wc + ws);
            FloatVector p2 = FloatVector.fromArray(F, w, wc + 2 * ws);
            FloatVector p3 = FloatVector.fromArray(F, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            a02 = p2.fma(v, a02);
            a03 = p3.fma(v, a03);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            a12 = p2.fma(v, a12);
            a13 = p3.fma(v, a13);
        }
        int o1 = out0 + outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
    }

    /** One input row against four panels: the shape of plain decoding. */
    private static void block1x4(float[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            int wc = w0 + c * W;
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a0 = FloatVector.fromArray(F, w, wc).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, wc + ws).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, wc + 2 * ws).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, wc + 3 * ws).fma(v, a3);
        }
        a0.intoArray(out, out0);
        a1.intoArray(out, out0 + W);
        a2.intoArray(out, out0 + 2 * W);
        a3.intoArray(out, out0 + 3 * W);
    }

    /*
     * The BF16 blocks below step through column pairs (one int vector per panel, see PackedHalfMatrix): column c
     * with the pair's low halves, then column c + 1 with its high halves, which an odd last column lacks.
     */

    /** One input row against four BF16 panels, widened in registers (the same fused multiply-adds as block1x4). */
    private static void bf16Block1x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector p0 = IntVector.fromArray(I, w, wc);
            IntVector p1 = IntVector.fromArray(I, w, wc + ws);
            IntVector p2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector p3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a0 = PackedHalfMatrix.evenColumn(p0).fma(v, a0);
            a1 = PackedHalfMatrix.evenColumn(p1).fma(v, a1);
            a2 = PackedHalfMatrix.evenColumn(p2).fma(v, a2);
            a3 = PackedHalfMatrix.evenColumn(p3).fma(v, a3);
            if (c + 1 < cols) {
                v = FloatVector.broadcast(F, x[x0 + c + 1]);
                a0 = PackedHalfMatrix.oddColumn(p0).fma(v, a0);
                a1 = PackedHalfMatrix.oddColumn(p1).fma(v, a1);
                a2 = PackedHalfMatrix.oddColumn(p2).fma(v, a2);
                a3 = PackedHalfMatrix.oddColumn(p3).fma(v, a3);
            }
        }
        a0.intoArray(out, out0);
        a1.intoArray(out, out0 + W);
        a2.intoArray(out, out0 + 2 * W);
        a3.intoArray(out, out0 + 3 * W);
    }

    /**
     * Four input rows against four panels of column pairs; row r's results at out[out0 + r * outStride, + 4 * W).
     * The widening is spelled out here rather than called through {@link PackedHalfMatrix#evenColumn}: with the
     * calls, C2 reached its node-count cutoff while inlining this kernel, left the last calls out and boxed every
     * vector (four times slower than rows in pairs).
     */
    private static void bf16Block4x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector v2 = FloatVector.broadcast(F, x[x2 + c]);
            FloatVector v3 = FloatVector.broadcast(F, x[x3 + c]);
            FloatVector p = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            a20 = p.fma(v2, a20);
            a30 = p.fma(v3, a30);
            p = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            a21 = p.fma(v2, a21);
            a31 = p.fma(v3, a31);
            p = (FloatVector) q2.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            a22 = p.fma(v2, a22);
            a32 = p.fma(v3, a32);
            p = (FloatVector) q3.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            a23 = p.fma(v2, a23);
            a33 = p.fma(v3, a33);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                v2 = FloatVector.broadcast(F, x[x2 + c + 1]);
                v3 = FloatVector.broadcast(F, x[x3 + c + 1]);
                p = (FloatVector) q0.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                a20 = p.fma(v2, a20);
                a30 = p.fma(v3, a30);
                p = (FloatVector) q1.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                a21 = p.fma(v2, a21);
                a31 = p.fma(v3, a31);
                p = (FloatVector) q2.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                a22 = p.fma(v2, a22);
                a32 = p.fma(v3, a32);
                p = (FloatVector) q3.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
                a23 = p.fma(v2, a23);
                a33 = p.fma(v3, a33);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        int o1 = out0 + outStride;
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        int o2 = out0 + 2 * outStride;
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
        int o3 = out0 + 3 * outStride;
        a30.intoArray(out, o3);
        a31.intoArray(out, o3 + W);
        a32.intoArray(out, o3 + 2 * W);
        a33.intoArray(out, o3 + 3 * W);
    }

    /** Three input rows against four panels of column pairs, as {@link #bf16Block4x4}. */
    private static void bf16Block3x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector v2 = FloatVector.broadcast(F, x[x2 + c]);
            FloatVector p = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            a20 = p.fma(v2, a20);
            p = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            a21 = p.fma(v2, a21);
            p = (FloatVector) q2.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            a22 = p.fma(v2, a22);
            p = (FloatVector) q3.lanewise(VectorOperators.LSHL, 16).reinterpretShape(F, 0);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            a23 = p.fma(v2, a23);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                v2 = FloatVector.broadcast(F, x[x2 + c + 1]);
                p = (FloatVector) q0.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                a20 = p.fma(v2, a20);
                p = (FloatVector) q1.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                a21 = p.fma(v2, a21);
                p = (FloatVector) q2.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                a22 = p.fma(v2, a22);
                p = (FloatVector) q3.lanewise(VectorOperators.AND, PackedHalfMatrix.HIGH_HALF).reinterpretShape(F, 0);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
                a23 = p.fma(v2, a23);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        int o1 = out0 + outStride;
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        int o2 = out0 + 2 * outStride;
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
    }

    /**
     * Two input rows against four BF16 panels, widened in registers once for both (block2x4's multiply-adds).
     * Each widened column goes straight into its two rows: eight accumulators, four pairs, two broadcasts and
     * the column take 15 of AVX2's 16 registers.
     */
    private static void bf16Block2x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        int x1 = x0 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector p = PackedHalfMatrix.evenColumn(q0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            p = PackedHalfMatrix.evenColumn(q1);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            p = PackedHalfMatrix.evenColumn(q2);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            p = PackedHalfMatrix.evenColumn(q3);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                p = PackedHalfMatrix.oddColumn(q0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                p = PackedHalfMatrix.oddColumn(q1);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                p = PackedHalfMatrix.oddColumn(q2);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                p = PackedHalfMatrix.oddColumn(q3);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
            }
        }
        int o1 = out0 + outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
    }

    /**
     * Four input rows against two BF16 panels, widened in registers: each widened weight vector feeds four rows
     * (eight accumulators, two pairs, two widened columns and a broadcast: 13 of AVX2's 16 registers). Of the four,
     * the first {@code valid} (two to four) are real. Two or three rows run here too, their missing rows computed and
     * dropped: the two-row block spills on AVX2, which made two rows cost 2.5x one row on the demo's shape in BF16
     * (`-XX:UseAVX=2`, 2 threads: 0.170 against 0.067 ms; four rows 0.124 ms).
     */
    private static void bf16Block4x2(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride, int valid) {
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);
        int x1 = valid > 1 ? x0 + cols : x0; // rows past the valid ones repeat row 0, and their sums are dropped
        int x2 = valid > 2 ? x0 + 2 * cols : x0;
        int x3 = valid > 3 ? x0 + 3 * cols : x0;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            FloatVector p0 = PackedHalfMatrix.evenColumn(q0);
            FloatVector p1 = PackedHalfMatrix.evenColumn(q1);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = p0.fma(v, a20);
            a21 = p1.fma(v, a21);
            v = FloatVector.broadcast(F, x[x3 + c]);
            a30 = p0.fma(v, a30);
            a31 = p1.fma(v, a31);
            if (c + 1 < cols) {
                p0 = PackedHalfMatrix.oddColumn(q0);
                p1 = PackedHalfMatrix.oddColumn(q1);
                v = FloatVector.broadcast(F, x[x0 + c + 1]);
                a00 = p0.fma(v, a00);
                a01 = p1.fma(v, a01);
                v = FloatVector.broadcast(F, x[x1 + c + 1]);
                a10 = p0.fma(v, a10);
                a11 = p1.fma(v, a11);
                v = FloatVector.broadcast(F, x[x2 + c + 1]);
                a20 = p0.fma(v, a20);
                a21 = p1.fma(v, a21);
                v = FloatVector.broadcast(F, x[x3 + c + 1]);
                a30 = p0.fma(v, a30);
                a31 = p1.fma(v, a31);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a10.intoArray(out, out0 + outStride);
        a11.intoArray(out, out0 + outStride + W);
        if (valid > 2) {
            a20.intoArray(out, out0 + 2 * outStride);
            a21.intoArray(out, out0 + 2 * outStride + W);
        }
        if (valid > 3) {
            a30.intoArray(out, out0 + 3 * outStride);
            a31.intoArray(out, out0 + 3 * outStride + W);
        }
    }

    /*
     * The F16 blocks: the BF16 blocks' multiply-adds, on columns of float16 bits moved into float32's places (see
     * PackedHalfMatrix.oddF16Column) but not rebiased: the 2^112 that rebiasing multiplies in is in the inputs
     * instead ({@link #registerInputs}), once per input rather than once per widened column, which kept these kernels
     * within what C2 inlines. The product of the two is the same real number, so each multiply-add rounds to the same
     * bits, as long as no input times 2^112 overflows.
     */

    /** One input row against four F16 panels. */
    private static void f16Block1x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector p0 = IntVector.fromArray(I, w, wc);
            IntVector p1 = IntVector.fromArray(I, w, wc + ws);
            IntVector p2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector p3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a0 = ((FloatVector) p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0)).fma(v, a0);
            a1 = ((FloatVector) p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0)).fma(v, a1);
            a2 = ((FloatVector) p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0)).fma(v, a2);
            a3 = ((FloatVector) p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0)).fma(v, a3);
            if (c + 1 < cols) {
                v = FloatVector.broadcast(F, x[x0 + c + 1]);
                a0 = ((FloatVector) p0.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0)).fma(v, a0);
                a1 = ((FloatVector) p1.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0)).fma(v, a1);
                a2 = ((FloatVector) p2.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0)).fma(v, a2);
                a3 = ((FloatVector) p3.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0)).fma(v, a3);
            }
        }
        a0.intoArray(out, out0);
        a1.intoArray(out, out0 + W);
        a2.intoArray(out, out0 + 2 * W);
        a3.intoArray(out, out0 + 3 * W);
    }

    /** Two input rows against four F16 panels, each widened column feeding both. */
    private static void f16Block2x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        int x1 = x0 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector p = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            p = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            p = (FloatVector) q2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            p = (FloatVector) q3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                p = (FloatVector) q0.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                p = (FloatVector) q1.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                p = (FloatVector) q2.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                p = (FloatVector) q3.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
            }
        }
        int o1 = out0 + outStride;
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
    }

    /** Three input rows against four F16 panels. */
    private static void f16Block3x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector v2 = FloatVector.broadcast(F, x[x2 + c]);
            FloatVector p = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            a20 = p.fma(v2, a20);
            p = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            a21 = p.fma(v2, a21);
            p = (FloatVector) q2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            a22 = p.fma(v2, a22);
            p = (FloatVector) q3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            a23 = p.fma(v2, a23);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                v2 = FloatVector.broadcast(F, x[x2 + c + 1]);
                p = (FloatVector) q0.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                a20 = p.fma(v2, a20);
                p = (FloatVector) q1.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                a21 = p.fma(v2, a21);
                p = (FloatVector) q2.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                a22 = p.fma(v2, a22);
                p = (FloatVector) q3.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
                a23 = p.fma(v2, a23);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        int o1 = out0 + outStride;
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        int o2 = out0 + 2 * outStride;
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
    }

    /** Four input rows against four F16 panels. */
    private static void f16Block4x4(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a02 = zero, a03 = zero;
        FloatVector a10 = zero, a11 = zero, a12 = zero, a13 = zero;
        FloatVector a20 = zero, a21 = zero, a22 = zero, a23 = zero;
        FloatVector a30 = zero, a31 = zero, a32 = zero, a33 = zero;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            IntVector q2 = IntVector.fromArray(I, w, wc + 2 * ws);
            IntVector q3 = IntVector.fromArray(I, w, wc + 3 * ws);
            FloatVector v0 = FloatVector.broadcast(F, x[x0 + c]);
            FloatVector v1 = FloatVector.broadcast(F, x[x1 + c]);
            FloatVector v2 = FloatVector.broadcast(F, x[x2 + c]);
            FloatVector v3 = FloatVector.broadcast(F, x[x3 + c]);
            FloatVector p = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a00 = p.fma(v0, a00);
            a10 = p.fma(v1, a10);
            a20 = p.fma(v2, a20);
            a30 = p.fma(v3, a30);
            p = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a01 = p.fma(v0, a01);
            a11 = p.fma(v1, a11);
            a21 = p.fma(v2, a21);
            a31 = p.fma(v3, a31);
            p = (FloatVector) q2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a02 = p.fma(v0, a02);
            a12 = p.fma(v1, a12);
            a22 = p.fma(v2, a22);
            a32 = p.fma(v3, a32);
            p = (FloatVector) q3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            a03 = p.fma(v0, a03);
            a13 = p.fma(v1, a13);
            a23 = p.fma(v2, a23);
            a33 = p.fma(v3, a33);
            if (c + 1 < cols) {
                v0 = FloatVector.broadcast(F, x[x0 + c + 1]);
                v1 = FloatVector.broadcast(F, x[x1 + c + 1]);
                v2 = FloatVector.broadcast(F, x[x2 + c + 1]);
                v3 = FloatVector.broadcast(F, x[x3 + c + 1]);
                p = (FloatVector) q0.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a00 = p.fma(v0, a00);
                a10 = p.fma(v1, a10);
                a20 = p.fma(v2, a20);
                a30 = p.fma(v3, a30);
                p = (FloatVector) q1.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a01 = p.fma(v0, a01);
                a11 = p.fma(v1, a11);
                a21 = p.fma(v2, a21);
                a31 = p.fma(v3, a31);
                p = (FloatVector) q2.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a02 = p.fma(v0, a02);
                a12 = p.fma(v1, a12);
                a22 = p.fma(v2, a22);
                a32 = p.fma(v3, a32);
                p = (FloatVector) q3.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                a03 = p.fma(v0, a03);
                a13 = p.fma(v1, a13);
                a23 = p.fma(v2, a23);
                a33 = p.fma(v3, a33);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a02.intoArray(out, out0 + 2 * W);
        a03.intoArray(out, out0 + 3 * W);
        int o1 = out0 + outStride;
        a10.intoArray(out, o1);
        a11.intoArray(out, o1 + W);
        a12.intoArray(out, o1 + 2 * W);
        a13.intoArray(out, o1 + 3 * W);
        int o2 = out0 + 2 * outStride;
        a20.intoArray(out, o2);
        a21.intoArray(out, o2 + W);
        a22.intoArray(out, o2 + 2 * W);
        a23.intoArray(out, o2 + 3 * W);
        int o3 = out0 + 3 * outStride;
        a30.intoArray(out, o3);
        a31.intoArray(out, o3 + W);
        a32.intoArray(out, o3 + 2 * W);
        a33.intoArray(out, o3 + 3 * W);
    }

    /** Four input rows against two F16 panels (the AVX2 block, as {@link #bf16Block4x2}). */
    private static void f16Block4x2(int[] w, int w0, int ws, int cols, float[] x, int x0, float[] out, int out0,
                                     int outStride, int valid) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector a00 = zero, a01 = zero, a10 = zero, a11 = zero;
        FloatVector a20 = zero, a21 = zero, a30 = zero, a31 = zero;
        int x1 = valid > 1 ? x0 + cols : x0; // rows past the valid ones repeat row 0, and their sums are dropped
        int x2 = valid > 2 ? x0 + 2 * cols : x0;
        int x3 = valid > 3 ? x0 + 3 * cols : x0;
        for (int c = 0; c < cols; c += 2) {
            int wc = w0 + (c >> 1) * W;
            IntVector q0 = IntVector.fromArray(I, w, wc);
            IntVector q1 = IntVector.fromArray(I, w, wc + ws);
            FloatVector p0 = (FloatVector) q0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            FloatVector p1 = (FloatVector) q1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3)
                    .lanewise(VectorOperators.AND, F16_BITS).reinterpretShape(F, 0);
            FloatVector v = FloatVector.broadcast(F, x[x0 + c]);
            a00 = p0.fma(v, a00);
            a01 = p1.fma(v, a01);
            v = FloatVector.broadcast(F, x[x1 + c]);
            a10 = p0.fma(v, a10);
            a11 = p1.fma(v, a11);
            v = FloatVector.broadcast(F, x[x2 + c]);
            a20 = p0.fma(v, a20);
            a21 = p1.fma(v, a21);
            v = FloatVector.broadcast(F, x[x3 + c]);
            a30 = p0.fma(v, a30);
            a31 = p1.fma(v, a31);
            if (c + 1 < cols) {
                p0 = (FloatVector) q0.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                p1 = (FloatVector) q1.lanewise(VectorOperators.ASHR, 3).lanewise(VectorOperators.AND, F16_BITS)
                        .reinterpretShape(F, 0);
                v = FloatVector.broadcast(F, x[x0 + c + 1]);
                a00 = p0.fma(v, a00);
                a01 = p1.fma(v, a01);
                v = FloatVector.broadcast(F, x[x1 + c + 1]);
                a10 = p0.fma(v, a10);
                a11 = p1.fma(v, a11);
                v = FloatVector.broadcast(F, x[x2 + c + 1]);
                a20 = p0.fma(v, a20);
                a21 = p1.fma(v, a21);
                v = FloatVector.broadcast(F, x[x3 + c + 1]);
                a30 = p0.fma(v, a30);
                a31 = p1.fma(v, a31);
            }
        }
        a00.intoArray(out, out0);
        a01.intoArray(out, out0 + W);
        a10.intoArray(out, out0 + outStride);
        a11.intoArray(out, out0 + outStride + W);
        if (valid > 2) {
            a20.intoArray(out, out0 + 2 * outStride);
            a21.intoArray(out, out0 + 2 * outStride + W);
        }
        if (valid > 3) {
            a30.intoArray(out, out0 + 3 * outStride);
            a31.intoArray(out, out0 + 3 * outStride + W);
        }
    }

    /** Four input rows against one panel, of which {@code valid} rows are real. */
    private static void block4x1(float[] w, int w0, int cols, float[] x, int x0, float[] out, int out0,
                                 int outStride, int valid) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        for (int c = 0; c < cols; c++) {
            FloatVector p = FloatVector.fromArray(F, w, w0 + c * W);
            a0 = p.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
            a1 = p.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
            a2 = p.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
            a3 = p.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
        }
        if (valid == W) {
            a0.intoArray(out, out0);
            a1.intoArray(out, out0 + outStride);
            a2.intoArray(out, out0 + 2 * outStride);
            a3.intoArray(out, out0 + 3 * outStride);
        } else {
            VectorMask<Float> lanes = F.indexInRange(0, valid);
            a0.intoArray(out, out0, lanes);
            a1.intoArray(out, out0 + outStride, lanes);
            a2.intoArray(out, out0 + 2 * outStride, lanes);
            a3.intoArray(out, out0 + 3 * outStride, lanes);
        }
    }

    /**
     * One input row against one panel, of which {@code valid} rows are real. Stores its own result: a helper taking
     * or returning a vector is boxed wherever the JIT does not inline it (see VectorBoundaryTest).
     */
    private static void block1x1(float[] w, int w0, int cols, float[] x, int x0, float[] out, int out0, int valid) {
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            acc = FloatVector.fromArray(F, w, w0 + c * W).fma(FloatVector.broadcast(F, x[x0 + c]), acc);
        }
        if (valid == W) {
            acc.intoArray(out, out0);
        } else {
            acc.intoArray(out, out0, F.indexInRange(0, valid));
        }
    }
}
