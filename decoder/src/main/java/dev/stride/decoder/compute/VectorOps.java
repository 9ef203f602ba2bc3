package dev.stride.decoder.compute;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.LaneSum;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.StackedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on a {@link ComputePool}. Four matmul paths, each reading each weight once per pass for all
 * of its rows, and each computing every output element with one fixed sequence of operations whatever the row
 * grouping and thread count:
 * <ul>
 *   <li>{@link PackedMatrix} (weights widened at load; {@link ArrayMatrix} weights, packed on each call):
 *       broadcast-input outer products over panels of output rows in register blocks; an element is the fused
 *       multiply-adds over its columns in column order.
 *   <li>{@link PackedHalfMatrix}: the same kernel, widened from BF16 or F16 in registers (long prefills:
 *       a few panels at a time into scratch).
 *   <li>{@link PackedQ8Matrix}: tiles of 8-bit weights, summed a block of 32 columns at a time ({@link Q8Kernels}).
 *   <li>any other matrix (streamed in its stored dtype): each weight row is widened once per pass and swept
 *       against the inputs in 4x4 blocks; an element is one lane-wise dot product and a {@link LaneSum}.
 * </ul>
 */
public final class VectorOps implements TensorOps {

    /** Element-wise work and attention key blocks: the CPU's widest vectors. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Dot products: vectors holding the fixed {@link LaneSum} layout, a part of it each. */
    private static final VectorSpecies<Float> R = LaneSum.SPECIES;
    private static final int LANES = LaneSum.LANES;
    private static final int WIDTH = LaneSum.WIDTH;
    private static final int PARTS = LaneSum.PARTS;
    private static final int PER_SWEEP = LaneSum.PARTS_PER_SWEEP;
    /** Weight rows widened together and input rows swept together: a 4x4 block of accumulators. */
    private static final int BLOCK = 4;
    /** Panels the packed kernels sweep together. */
    private static final int PANEL_GROUP = 4;

    private final ComputePool pool;
    private float[][] rowScratch = new float[0][];
    private float[] packBuffer = new float[0];
    /** F16 panels' register inputs: the inputs times 2^112 (see PackedKernels.registerInputs). */
    private float[] scaledInputs = new float[0];
    private final MatmulChunks chunks = new MatmulChunks();

    public VectorOps(ComputePool pool) {
        this.pool = pool;
    }

    public ComputePool pool() {
        return pool;
    }

    /** Synchronized: the per-thread scratch, the pack buffer and the chunk body are shared by every caller. */
    @Override
    public synchronized void matmul(WeightMatrix w, float[] x, int n, float[] out) {
        if (w instanceof ArrayMatrix trainable) {
            // Heap float32 weights change between calls (training): packing them costs one pass over the weights,
            // small next to the matmul with its many input rows, and the panel kernel needs no lane sums.
            PackedMatrix packed = PackedMatrix.pack(trainable, packBuffer);
            packBuffer = packed.panels();
            chunks.run(packed, x, n, out, null, null, panelGroups(packed.panelCount()));
        } else if (w instanceof PackedMatrix packed) {
            chunks.run(packed, x, n, out, null, null, panelGroups(packed.panelCount()));
        } else if (w instanceof PackedHalfMatrix half) {
            if (half.dtype() == DType.F16 && scaledInputs.length < n * w.cols()) {
                scaledInputs = new float[n * w.cols()];
            }
            chunks.run(half, x, n, out, PackedKernels.registerInputs(half, x, n, scaledInputs),
                    scratchFor(4 * w.cols() * PackedMatrix.PANEL), panelGroups(half.panelCount()));
        } else if (w instanceof PackedQ8Matrix q8) {
            chunks.run(q8, x, n, out, null, scratchFor(Q8Kernels.SCRATCH), q8.tileCount());
        } else {
            // scratch: a block of widened weight rows, then the dot products' partials to sum
            chunks.run(w, x, n, out, null, scratchFor(BLOCK * w.cols() + BLOCK * BLOCK * LANES), w.rows());
        }
    }

    /**
     * The chunks of one matmul, as the pool hands them out: panel groups, q8 tiles or weight rows, by the matrix's
     * layout. One instance serves every call (matmul is synchronized), so a matmul allocates nothing; a lambda
     * capturing the call's arguments was allocated on every call, parallel or not (840 bytes a demo pass).
     */
    private final class MatmulChunks implements ComputePool.RangeBody {
        private WeightMatrix w;
        private float[] x;
        private int n;
        private float[] out;
        private float[] registerInputs;
        private float[][] scratch;

        void run(WeightMatrix w, float[] x, int n, float[] out, float[] registerInputs, float[][] scratch, int count) {
            this.w = w;
            this.x = x;
            this.n = n;
            this.out = out;
            this.registerInputs = registerInputs;
            this.scratch = scratch;
            try {
                pool.parallelFor(count, multiplyAdds(w, n), (long) n * w.cols(), this);
            } finally {
                this.w = null; // nothing of the call outlives it
                this.x = null;
                this.out = null;
                this.registerInputs = null;
                this.scratch = null;
            }
        }

        @Override
        public void run(int start, int end, int worker) {
            if (w instanceof PackedMatrix packed) {
                PackedKernels.matmul(packed, x, n, out, start * PANEL_GROUP,
                        Math.min(end * PANEL_GROUP, packed.panelCount()));
            } else if (w instanceof PackedHalfMatrix half) {
                PackedKernels.matmul(half, x, n, out, start * PANEL_GROUP,
                        Math.min(end * PANEL_GROUP, half.panelCount()), registerInputs, scratch[worker]);
            } else if (w instanceof PackedQ8Matrix q8) {
                Q8Kernels.matmul(q8, x, n, out, start, end, scratch[worker]);
            } else {
                matmulRows(w, x, n, out, start, end, scratch[worker]);
            }
        }
    }

    /**
     * A matmul's work as the pool's hand-off rule counts it: its multiply-adds, at half for several rows, which the
     * kernels run about twice as fast per multiply-add as one row (bound by the latency of one row's chains of
     * fused multiply-adds; demo matrices on one thread: 65-86 GFLOP/s at one row, 114-133 at two, 175-195 at four).
     * Demo decoding, batch 1, against counting every multiply-add (one process alternating, 25 rounds, two runs):
     * plain 0.986-1.000x, chain:1 1.002-1.036x, chain:2 1.030-1.057x; counted in full, the threshold doubled made
     * chain:2 1.10x but plain 0.92-0.99x (gate/up serial at one row).
     */
    private static long multiplyAdds(WeightMatrix w, int n) {
        long multiplyAdds = (long) w.rows() * w.cols() * n;
        return n == 1 ? multiplyAdds : multiplyAdds / 2;
    }

    /**
     * Parallel loops over panels hand out whole groups of {@link #PANEL_GROUP}: the kernels sweep four panels at
     * once, and a chunk ending mid-group would leave single panels to a one-chain kernel bound by FMA latency.
     */
    private static int panelGroups(int panels) {
        return (panels + PANEL_GROUP - 1) / PANEL_GROUP;
    }

    private float[][] scratchFor(int length) {
        if (rowScratch.length != pool.threads() || rowScratch[0].length < length) {
            float[][] fresh = new float[pool.threads()][];
            for (int i = 0; i < fresh.length; i++) {
                fresh[i] = new float[Math.max(length, rowScratch.length > 0 ? rowScratch[0].length : 0)];
            }
            rowScratch = fresh;
        }
        return rowScratch;
    }

    /** Output rows [start, end) of w for every input row; a stacked matrix a part at a time. */
    private static void matmulRows(WeightMatrix w, float[] x, int n, float[] out, int start, int end,
                                   float[] weights) {
        if (!(w instanceof StackedMatrix stacked)) {
            matmulRows(w, 0, w.rows(), x, n, out, start, end, weights);
            return;
        }
        for (int p = 0; p < stacked.partCount(); p++) {
            int first = stacked.firstRow(p);
            WeightMatrix part = stacked.part(p);
            int from = Math.max(start, first);
            int to = Math.min(end, first + part.rows());
            if (from < to) {
                matmulRows(part, first, w.rows(), x, n, out, from - first, to - first, weights);
            }
        }
    }

    /**
     * Rows [start, end) of m, whose row r is output column {@code outOffset + r} of rows {@code outStride} wide.
     * BLOCK weight rows are widened to float32 once, then swept against the inputs four at a time, so each weight
     * is read from memory once per pass (on CPUs with narrower vectors than 16 lanes, swept one input at a time).
     * With fewer than four inputs, memory-mapped BF16 and F32 rows are widened
     * in registers straight into the dot products instead (1.5x faster at one input): little is reused, so little
     * is worth storing. F16 is not: its widening takes so many registers that four rows at once spill.
     */
    private static void matmulRows(WeightMatrix m, int outOffset, int outStride, float[] x, int n, float[] out,
                                   int start, int end, float[] weights) {
        int cols = m.cols();
        for (int o = start; o < end; o += BLOCK) {
            int block = Math.min(BLOCK, end - o);
            int out0 = outOffset + o;
            if (block == BLOCK && n < BLOCK && m instanceof MappedMatrix mapped && mapped.dtype() != DType.F16) {
                for (int b = 0; b < n; b++) {
                    mapped.dot4(o, x, b * cols, out, b * outStride + out0, weights, 0);
                }
                continue;
            }
            for (int j = 0; j < block; j++) {
                m.loadRow(o + j, weights, j * cols);
            }
            int b = 0;
            if (block == BLOCK) {
                for (; PARTS == 1 && b + BLOCK <= n; b += BLOCK) {
                    dot4x4(weights, x, b * cols, cols, out, b * outStride + out0, outStride, BLOCK * cols);
                }
                for (; b < n; b++) {
                    dot4x1(weights, x, b * cols, cols, out, b * outStride + out0, BLOCK * cols);
                }
            }
            for (; b < n; b++) {
                for (int j = 0; j < block; j++) {
                    out[b * outStride + out0 + j] = LaneSum.dot(weights, j * cols, x, b * cols, cols);
                }
            }
        }
    }

    /*
     * The blocked kernels below give every (weight row, input row) pair its own accumulator that sees exactly
     * the sequence LaneSum.dot would: the same lane-wise fused multiply-adds in the same order, the same lane
     * reduction, the same scalar tail. Grouping only shares loads, never changes an element's arithmetic.
     */

    /**
     * Four weight rows (consecutive in w, stride len) against four input rows, each pair's partials stored to
     * w[lanes + (4 * input + row) * LANES, + LANES) (16 sets) and summed once every part has run. Only on
     * 16-lane CPUs: with two or four vectors per set, 16 accumulators would not fit in registers.
     */
    private static void dot4x4(float[] w, float[] x, int x0, int len, float[] out, int out0, int outStride,
                               int lanes) {
        int bound = LaneSum.bound(len);
        for (int part = 0; part < PARTS; part++) {
            FloatVector a00 = FloatVector.zero(R), a01 = FloatVector.zero(R), a02 = FloatVector.zero(R), a03 = FloatVector.zero(R);
            FloatVector a10 = FloatVector.zero(R), a11 = FloatVector.zero(R), a12 = FloatVector.zero(R), a13 = FloatVector.zero(R);
            FloatVector a20 = FloatVector.zero(R), a21 = FloatVector.zero(R), a22 = FloatVector.zero(R), a23 = FloatVector.zero(R);
            FloatVector a30 = FloatVector.zero(R), a31 = FloatVector.zero(R), a32 = FloatVector.zero(R), a33 = FloatVector.zero(R);
            for (int i = part * WIDTH; i < bound; i += LANES) {
                FloatVector w0 = FloatVector.fromArray(R, w, i);
                FloatVector w1 = FloatVector.fromArray(R, w, len + i);
                FloatVector w2 = FloatVector.fromArray(R, w, 2 * len + i);
                FloatVector w3 = FloatVector.fromArray(R, w, 3 * len + i);
                FloatVector x0v = FloatVector.fromArray(R, x, x0 + i);
                a00 = w0.fma(x0v, a00);
                a10 = w1.fma(x0v, a10);
                a20 = w2.fma(x0v, a20);
                a30 = w3.fma(x0v, a30);
                FloatVector x1v = FloatVector.fromArray(R, x, x0 + len + i);
                a01 = w0.fma(x1v, a01);
                a11 = w1.fma(x1v, a11);
                a21 = w2.fma(x1v, a21);
                a31 = w3.fma(x1v, a31);
                FloatVector x2v = FloatVector.fromArray(R, x, x0 + 2 * len + i);
                a02 = w0.fma(x2v, a02);
                a12 = w1.fma(x2v, a12);
                a22 = w2.fma(x2v, a22);
                a32 = w3.fma(x2v, a32);
                FloatVector x3v = FloatVector.fromArray(R, x, x0 + 3 * len + i);
                a03 = w0.fma(x3v, a03);
                a13 = w1.fma(x3v, a13);
                a23 = w2.fma(x3v, a23);
                a33 = w3.fma(x3v, a33);
            }
            int at = lanes + part * WIDTH;
            a00.intoArray(w, at);
            a10.intoArray(w, at + LANES);
            a20.intoArray(w, at + 2 * LANES);
            a30.intoArray(w, at + 3 * LANES);
            a01.intoArray(w, at + 4 * LANES);
            a11.intoArray(w, at + 5 * LANES);
            a21.intoArray(w, at + 6 * LANES);
            a31.intoArray(w, at + 7 * LANES);
            a02.intoArray(w, at + 8 * LANES);
            a12.intoArray(w, at + 9 * LANES);
            a22.intoArray(w, at + 10 * LANES);
            a32.intoArray(w, at + 11 * LANES);
            a03.intoArray(w, at + 12 * LANES);
            a13.intoArray(w, at + 13 * LANES);
            a23.intoArray(w, at + 14 * LANES);
            a33.intoArray(w, at + 15 * LANES);
        }
        for (int b = 0; b < BLOCK; b++) {
            int sums = lanes + 4 * b * LANES;
            LaneSum.ofFourStored(w, sums);
            for (int j = 0; j < BLOCK; j++) {
                out[out0 + b * outStride + j] = LaneSum.withTail(w[sums + j], w, j * len, x, x0 + b * len, bound, len);
            }
        }
    }

    /**
     * Four weight rows against one input row; partials go to w[lanes, lanes + 4 * LANES). Two parts per sweep
     * where there are several ({@link LaneSum#PARTS_PER_SWEEP}).
     */
    private static void dot4x1(float[] w, float[] x, int x0, int len, float[] out, int out0, int lanes) {
        int bound = LaneSum.bound(len);
        for (int part = 0; part < PARTS; part += PER_SWEEP) {
            FloatVector a0 = FloatVector.zero(R), a1 = FloatVector.zero(R), a2 = FloatVector.zero(R), a3 = FloatVector.zero(R);
            FloatVector b0 = FloatVector.zero(R), b1 = FloatVector.zero(R), b2 = FloatVector.zero(R), b3 = FloatVector.zero(R);
            for (int i = part * WIDTH; i < bound; i += LANES) {
                FloatVector xv = FloatVector.fromArray(R, x, x0 + i);
                a0 = FloatVector.fromArray(R, w, i).fma(xv, a0);
                a1 = FloatVector.fromArray(R, w, len + i).fma(xv, a1);
                a2 = FloatVector.fromArray(R, w, 2 * len + i).fma(xv, a2);
                a3 = FloatVector.fromArray(R, w, 3 * len + i).fma(xv, a3);
                if (PER_SWEEP == 2) {
                    int j = i + WIDTH;
                    FloatVector yv = FloatVector.fromArray(R, x, x0 + j);
                    b0 = FloatVector.fromArray(R, w, j).fma(yv, b0);
                    b1 = FloatVector.fromArray(R, w, len + j).fma(yv, b1);
                    b2 = FloatVector.fromArray(R, w, 2 * len + j).fma(yv, b2);
                    b3 = FloatVector.fromArray(R, w, 3 * len + j).fma(yv, b3);
                }
            }
            int at = lanes + part * WIDTH;
            a0.intoArray(w, at);
            a1.intoArray(w, at + LANES);
            a2.intoArray(w, at + 2 * LANES);
            a3.intoArray(w, at + 3 * LANES);
            if (PER_SWEEP == 2) {
                b0.intoArray(w, at + WIDTH);
                b1.intoArray(w, at + WIDTH + LANES);
                b2.intoArray(w, at + WIDTH + 2 * LANES);
                b3.intoArray(w, at + WIDTH + 3 * LANES);
            }
        }
        LaneSum.ofFourStored(w, lanes);
        for (int j = 0; j < BLOCK; j++) {
            out[out0 + j] = LaneSum.withTail(w[lanes + j], w, j * len, x, x0, bound, len);
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int dim) {
        float inverseRms = (float) (1.0 / Math.sqrt(LaneSum.dot(x, xOff, x, xOff, dim) / dim + eps));
        int i = 0;
        for (int upper = F.loopBound(dim); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(inverseRms).mul(FloatVector.fromArray(F, weight, i))
                    .intoArray(out, outOff + i);
        }
        for (; i < dim; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inverseRms);
        }
    }

    /**
     * Four vectors of out at a time stay in registers while every row is added (a row at a time they would go
     * through memory once per row); each element still sees its terms one by one in row order. The weights are
     * summed in the first sweep over the rows, a scalar chain beside the vector ones.
     */
    @Override
    public float addWeightedRows(float[] p, int pOff, int count, float[] rows, int rowsOff, int stride, float[] out,
                                 int outOff, int len, float weightSum) {
        int lanes = F.length();
        boolean summed = false;
        int d = 0;
        for (; d + 4 * lanes <= len; d += 4 * lanes) {
            FloatVector a0 = FloatVector.fromArray(F, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(F, out, outOff + d + lanes);
            FloatVector a2 = FloatVector.fromArray(F, out, outOff + d + 2 * lanes);
            FloatVector a3 = FloatVector.fromArray(F, out, outOff + d + 3 * lanes);
            float sum = weightSum;
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                float w = p[pOff + i];
                sum += w;
                FloatVector weight = FloatVector.broadcast(F, w);
                a0 = FloatVector.fromArray(F, rows, at).fma(weight, a0);
                a1 = FloatVector.fromArray(F, rows, at + lanes).fma(weight, a1);
                a2 = FloatVector.fromArray(F, rows, at + 2 * lanes).fma(weight, a2);
                a3 = FloatVector.fromArray(F, rows, at + 3 * lanes).fma(weight, a3);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + lanes);
            a2.intoArray(out, outOff + d + 2 * lanes);
            a3.intoArray(out, outOff + d + 3 * lanes);
            if (!summed) {
                weightSum = sum;
                summed = true;
            }
        }
        for (; d + 2 * lanes <= len; d += 2 * lanes) {
            FloatVector a0 = FloatVector.fromArray(F, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(F, out, outOff + d + lanes);
            float sum = weightSum;
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                float w = p[pOff + i];
                sum += w;
                FloatVector weight = FloatVector.broadcast(F, w);
                a0 = FloatVector.fromArray(F, rows, at).fma(weight, a0);
                a1 = FloatVector.fromArray(F, rows, at + lanes).fma(weight, a1);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + lanes);
            if (!summed) {
                weightSum = sum;
                summed = true;
            }
        }
        for (; d + lanes <= len; d += lanes) {
            FloatVector a = FloatVector.fromArray(F, out, outOff + d);
            float sum = weightSum;
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                float w = p[pOff + i];
                sum += w;
                a = FloatVector.fromArray(F, rows, at).fma(FloatVector.broadcast(F, w), a);
            }
            a.intoArray(out, outOff + d);
            if (!summed) {
                weightSum = sum;
                summed = true;
            }
        }
        for (; d < len; d++) {
            float a = out[outOff + d];
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                a = Math.fma(rows[at], p[pOff + i], a);
            }
            out[outOff + d] = a;
        }
        if (!summed) {
            for (int i = 0; i < count; i++) {
                weightSum += p[pOff + i];
            }
        }
        return weightSum;
    }

    /**
     * Queries in threes (a single one alone; a pair as a triple whose third query repeats the second, so the same
     * bits are written twice) read each row once for three queries, whose six chains of fused multiply-adds fill
     * the latency that one query's chains leave: 448 rows of 32 values for three heads 0.89 µs against 1.92 µs one
     * query at a time ({@code AttentionBenchmark}, one thread).
     */
    @Override
    public void addWeightedRows(float[] p, int pOff, int pStride, int queries, int count, float[] rows, int rowsOff,
                                int stride, float[] out, int outOff, int len, float[] weightSums) {
        for (int j = 0; j < queries; j += 3) {
            int pj = pOff + j * pStride;
            int outJ = outOff + j * len;
            int last = Math.min(queries - j, 3) - 1;
            if (last == 0) {
                weightSums[j] = addWeightedRows(p, pj, count, rows, rowsOff, stride, out, outJ, len, weightSums[j]);
            } else {
                addWeightedRows3(p, pj, pStride, last, count, rows, rowsOff, stride, out, outJ, len, weightSums, j);
            }
        }
    }

    /**
     * Three queries: p, out and weightSums of query k at pOff + k * pStride, outOff + k * len and weightSums[j + k]
     * for k = 0, 1 and {@code last} (1 or 2). Each element gets the fused multiply-adds of
     * {@link #addWeightedRows(float[], int, int, float[], int, int, float[], int, int, float)} in the same order.
     */
    private static void addWeightedRows3(float[] p, int pOff, int pStride, int last, int count, float[] rows,
                                         int rowsOff, int stride, float[] out, int outOff, int len, float[] weightSums,
                                         int j) {
        int lanes = F.length();
        int p1 = pOff + pStride;
        int p2 = pOff + last * pStride;
        int o1 = outOff + len;
        int o2 = outOff + last * len;
        float sum0 = weightSums[j];
        float sum1 = weightSums[j + 1];
        float sum2 = weightSums[j + last];
        int d = 0;
        for (; d + 2 * lanes <= len; d += 2 * lanes) {
            FloatVector a0 = FloatVector.fromArray(F, out, outOff + d);
            FloatVector a1 = FloatVector.fromArray(F, out, outOff + d + lanes);
            FloatVector b0 = FloatVector.fromArray(F, out, o1 + d);
            FloatVector b1 = FloatVector.fromArray(F, out, o1 + d + lanes);
            FloatVector c0 = FloatVector.fromArray(F, out, o2 + d);
            FloatVector c1 = FloatVector.fromArray(F, out, o2 + d + lanes);
            float s0 = sum0;
            float s1 = sum1;
            float s2 = sum2;
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                FloatVector v0 = FloatVector.fromArray(F, rows, at);
                FloatVector v1 = FloatVector.fromArray(F, rows, at + lanes);
                float w0 = p[pOff + i];
                float w1 = p[p1 + i];
                float w2 = p[p2 + i];
                s0 += w0;
                s1 += w1;
                s2 += w2;
                FloatVector x0 = FloatVector.broadcast(F, w0);
                FloatVector x1 = FloatVector.broadcast(F, w1);
                FloatVector x2 = FloatVector.broadcast(F, w2);
                a0 = v0.fma(x0, a0);
                a1 = v1.fma(x0, a1);
                b0 = v0.fma(x1, b0);
                b1 = v1.fma(x1, b1);
                c0 = v0.fma(x2, c0);
                c1 = v1.fma(x2, c1);
            }
            a0.intoArray(out, outOff + d);
            a1.intoArray(out, outOff + d + lanes);
            b0.intoArray(out, o1 + d);
            b1.intoArray(out, o1 + d + lanes);
            c0.intoArray(out, o2 + d);
            c1.intoArray(out, o2 + d + lanes);
            if (d == 0) {
                weightSums[j] = s0;
                weightSums[j + 1] = s1;
                weightSums[j + last] = s2;
            }
        }
        if (d == 0) { // no pair of vectors: the weights summed on their own
            for (int i = 0; i < count; i++) {
                sum0 += p[pOff + i];
                sum1 += p[p1 + i];
                sum2 += p[p2 + i];
            }
            weightSums[j] = sum0;
            weightSums[j + 1] = sum1;
            weightSums[j + last] = sum2;
        }
        for (; d + lanes <= len; d += lanes) {
            FloatVector a = FloatVector.fromArray(F, out, outOff + d);
            FloatVector b = FloatVector.fromArray(F, out, o1 + d);
            FloatVector c = FloatVector.fromArray(F, out, o2 + d);
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                FloatVector v = FloatVector.fromArray(F, rows, at);
                a = v.fma(FloatVector.broadcast(F, p[pOff + i]), a);
                b = v.fma(FloatVector.broadcast(F, p[p1 + i]), b);
                c = v.fma(FloatVector.broadcast(F, p[p2 + i]), c);
            }
            a.intoArray(out, outOff + d);
            b.intoArray(out, o1 + d);
            c.intoArray(out, o2 + d);
        }
        for (; d < len; d++) {
            float a = out[outOff + d];
            float b = out[o1 + d];
            float c = out[o2 + d];
            for (int i = 0, at = rowsOff + d; i < count; i++, at += stride) {
                a = Math.fma(rows[at], p[pOff + i], a);
                b = Math.fma(rows[at], p[p1 + i], b);
                c = Math.fma(rows[at], p[p2 + i], c);
            }
            out[outOff + d] = a;
            out[o1 + d] = b;
            out[o2 + d] = c;
        }
    }

    /**
     * Four independent chains over the dimensions d = 0, 1, 2, 3 (mod 4), added pairwise at the end: a single
     * chain would wait on every fused multiply-add's latency.
     */
    @Override
    public void keyBlockScores(float[] q, int qOff, float[] keys, int blockOff, int headDim, int block, float[] scores,
                               int scoresOff) {
        checkBlock(block);
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int d = 0;
        for (; d + 4 <= headDim; d += 4) {
            int k = blockOff + d * block;
            a0 = FloatVector.fromArray(F, keys, k).fma(FloatVector.broadcast(F, q[qOff + d]), a0);
            a1 = FloatVector.fromArray(F, keys, k + block).fma(FloatVector.broadcast(F, q[qOff + d + 1]), a1);
            a2 = FloatVector.fromArray(F, keys, k + 2 * block).fma(FloatVector.broadcast(F, q[qOff + d + 2]), a2);
            a3 = FloatVector.fromArray(F, keys, k + 3 * block).fma(FloatVector.broadcast(F, q[qOff + d + 3]), a3);
        }
        for (; d < headDim; d++) {
            a0 = FloatVector.fromArray(F, keys, blockOff + d * block).fma(FloatVector.broadcast(F, q[qOff + d]), a0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(scores, scoresOff);
    }

    /**
     * Queries in threes, as in the several-query {@code addWeightedRows}: 448 keys of 32 dimensions for three heads
     * 1.34 µs against 2.22 µs one query at a time ({@code AttentionBenchmark}, one thread).
     */
    @Override
    public void keyBlockScores(float[] q, int qOff, int queries, float[] keys, int blockOff, int headDim, int block,
                               float[] scores, int scoresOff, int scoresStride) {
        checkBlock(block);
        for (int j = 0; j < queries; j += 3) {
            int qj = qOff + j * headDim;
            int sj = scoresOff + j * scoresStride;
            int last = Math.min(queries - j, 3) - 1;
            if (last == 0) {
                keyBlockScores(q, qj, keys, blockOff, headDim, block, scores, sj);
            } else {
                keyBlockScores3(q, qj, headDim, last, keys, blockOff, block, scores, sj, scoresStride);
            }
        }
    }

    /**
     * Three queries at q[qOff + k * headDim], scores to scores[scoresOff + k * scoresStride], k = 0, 1 and
     * {@code last}: each key vector is loaded once and feeds the four chains of
     * {@link #keyBlockScores(float[], int, float[], int, int, int, float[], int)} of every query.
     */
    private static void keyBlockScores3(float[] q, int qOff, int headDim, int last, float[] keys, int blockOff,
                                        int block, float[] scores, int scoresOff, int scoresStride) {
        int q1 = qOff + headDim;
        int q2 = qOff + last * headDim;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector b0 = FloatVector.zero(F), b1 = FloatVector.zero(F), b2 = FloatVector.zero(F), b3 = FloatVector.zero(F);
        FloatVector c0 = FloatVector.zero(F), c1 = FloatVector.zero(F), c2 = FloatVector.zero(F), c3 = FloatVector.zero(F);
        int d = 0;
        for (; d + 4 <= headDim; d += 4) {
            int k = blockOff + d * block;
            FloatVector k0 = FloatVector.fromArray(F, keys, k);
            a0 = k0.fma(FloatVector.broadcast(F, q[qOff + d]), a0);
            b0 = k0.fma(FloatVector.broadcast(F, q[q1 + d]), b0);
            c0 = k0.fma(FloatVector.broadcast(F, q[q2 + d]), c0);
            FloatVector k1 = FloatVector.fromArray(F, keys, k + block);
            a1 = k1.fma(FloatVector.broadcast(F, q[qOff + d + 1]), a1);
            b1 = k1.fma(FloatVector.broadcast(F, q[q1 + d + 1]), b1);
            c1 = k1.fma(FloatVector.broadcast(F, q[q2 + d + 1]), c1);
            FloatVector k2 = FloatVector.fromArray(F, keys, k + 2 * block);
            a2 = k2.fma(FloatVector.broadcast(F, q[qOff + d + 2]), a2);
            b2 = k2.fma(FloatVector.broadcast(F, q[q1 + d + 2]), b2);
            c2 = k2.fma(FloatVector.broadcast(F, q[q2 + d + 2]), c2);
            FloatVector k3 = FloatVector.fromArray(F, keys, k + 3 * block);
            a3 = k3.fma(FloatVector.broadcast(F, q[qOff + d + 3]), a3);
            b3 = k3.fma(FloatVector.broadcast(F, q[q1 + d + 3]), b3);
            c3 = k3.fma(FloatVector.broadcast(F, q[q2 + d + 3]), c3);
        }
        for (; d < headDim; d++) {
            FloatVector k0 = FloatVector.fromArray(F, keys, blockOff + d * block);
            a0 = k0.fma(FloatVector.broadcast(F, q[qOff + d]), a0);
            b0 = k0.fma(FloatVector.broadcast(F, q[q1 + d]), b0);
            c0 = k0.fma(FloatVector.broadcast(F, q[q2 + d]), c0);
        }
        a0.add(a1).add(a2.add(a3)).intoArray(scores, scoresOff);
        b0.add(b1).add(b2.add(b3)).intoArray(scores, scoresOff + scoresStride);
        c0.add(c1).add(c2.add(c3)).intoArray(scores, scoresOff + last * scoresStride);
    }

    private static void checkBlock(int block) {
        if (block != F.length()) {
            throw new IllegalArgumentException("key blocks of " + block + " slots; this CPU's vectors hold "
                    + F.length());
        }
    }

    /**
     * The maximum is exact in any order and a product is the same in a lane or alone: lanes, then a scalar tail.
     * The running maximum is never the receiver of a vector call: C2 types a loop-carried vector by its declared
     * class, so a call on it can bind only through the shared type profile of {@code FloatVector.max}, and where that
     * failed (inlined into the attention kernel) the call stayed virtual and every vector was boxed: 1.2 µs instead
     * of 0.12 µs for 448 scores.
     */
    @Override
    public float scaleAndMax(float[] x, int off, int len, float scale) {
        FloatVector laneMax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int i = off;
        for (int upper = off + F.loopBound(len); i < upper; i += F.length()) {
            FloatVector scaled = FloatVector.fromArray(F, x, i).mul(scale);
            scaled.intoArray(x, i);
            laneMax = scaled.max(laneMax);
        }
        float max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY).max(laneMax).reduceLanes(VectorOperators.MAX);
        for (; i < off + len; i++) {
            x[i] *= scale;
            max = Math.max(max, x[i]);
        }
        return max;
    }

    /*
     * The element-wise ops from here on run whole vectors; a tail shorter than a vector goes through zero-padded copies
     * (masked loads are slow on JDK 17) so that it gets exactly the same lane arithmetic as the body.
     */

    /** Whole vectors only: the lanes past the end are scratch (see the interface), set to exp(-inf - max) = 0. */
    @Override
    public void expBelow(float max, float[] x, int off, int len) {
        int end = off + len;
        int wholeEnd = off + (len + F.length() - 1) / F.length() * F.length();
        Arrays.fill(x, end, wholeEnd, Float.NEGATIVE_INFINITY);
        VectorExp.expBelowInPlace(x, off, wholeEnd, max);
    }

    @Override
    public void siluGate(float[] gateUp, int inter, int n, float[] out) {
        for (int r = 0; r < n; r++) {
            int gate = 2 * r * inter;
            int i = 0;
            for (int upper = F.loopBound(inter); i < upper; i += F.length()) {
                siluGateLanes(gateUp, gate + i, gateUp, gate + inter + i, out, r * inter + i);
            }
            if (i < inter) {
                float[] tail = new float[F.length()];
                siluGateLanes(padded(gateUp, gate + i, inter - i), 0, padded(gateUp, gate + inter + i, inter - i), 0,
                        tail, 0);
                System.arraycopy(tail, 0, out, r * inter + i, inter - i);
            }
        }
    }

    private static void siluGateLanes(float[] gate, int gateOff, float[] up, int upOff, float[] out, int outOff) {
        VectorExp.silu(gate, gateOff, out, outOff);
        FloatVector.fromArray(F, out, outOff).mul(FloatVector.fromArray(F, up, upOff)).intoArray(out, outOff);
    }

    @Override
    public void addSiluResidual(float[] z, float[] bias, float[] x, int n, int dim) {
        float[] lanes = new float[F.length()];
        for (int r = 0; r < n; r++) {
            int row = r * dim;
            int i = 0;
            for (int upper = F.loopBound(dim); i < upper; i += F.length()) {
                addSiluLanes(z, row + i, bias, i, x, row + i, lanes);
            }
            if (i < dim) {
                float[] tail = padded(x, row + i, dim - i);
                addSiluLanes(padded(z, row + i, dim - i), 0, padded(bias, i, dim - i), 0, tail, 0, lanes);
                System.arraycopy(tail, 0, x, row + i, dim - i);
            }
        }
    }

    /** x += SiLU(z + bias) for one vector's lanes; {@code lanes} holds the pre-activation meanwhile. */
    private static void addSiluLanes(float[] z, int zOff, float[] bias, int biasOff, float[] x, int xOff,
                                     float[] lanes) {
        FloatVector.fromArray(F, z, zOff).add(FloatVector.fromArray(F, bias, biasOff)).intoArray(lanes, 0);
        VectorExp.silu(lanes, 0, lanes, 0);
        FloatVector.fromArray(F, x, xOff).add(FloatVector.fromArray(F, lanes, 0)).intoArray(x, xOff);
    }

    private static float[] padded(float[] a, int from, int count) {
        float[] copy = new float[F.length()];
        System.arraycopy(a, from, copy, 0, count);
        return copy;
    }
}
