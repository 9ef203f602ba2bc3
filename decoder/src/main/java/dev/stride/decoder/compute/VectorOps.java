package dev.stride.decoder.compute;

import dev.stride.decoder.tensor.WeightMatrix;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on a {@link ComputePool}. The matmul converts each weight row to float32 once per pass and
 * reuses it for every input row (four at a time, sharing each weight load), so a pass with n rows reads the
 * weights once. Each output element is one {@link #dot}-ordered reduction whatever the row grouping.
 */
public final class VectorOps implements TensorOps {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Input rows per tile: keeps the x tile cache-resident during long prefills. */
    private static final int ROW_TILE = 32;
    /** Below this many multiply-adds a matmul runs on the calling thread: waking workers would cost more. */
    private static final long PARALLEL_THRESHOLD = 1 << 15;

    private final ComputePool pool;
    private float[][] rowScratch = new float[0][];

    public VectorOps(ComputePool pool) {
        this.pool = pool;
    }

    public ComputePool pool() {
        return pool;
    }

    @Override
    public void matmul(WeightMatrix w, float[] x, int n, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        float[][] scratch = scratchFor(cols);
        if ((long) rows * cols * n < PARALLEL_THRESHOLD) {
            matmulRows(w, x, n, out, 0, rows, scratch[0]);
        } else {
            pool.parallelFor(rows, (start, end, worker) -> matmulRows(w, x, n, out, start, end, scratch[worker]));
        }
    }

    private synchronized float[][] scratchFor(int cols) {
        if (rowScratch.length != pool.threads() || rowScratch[0].length < cols) {
            float[][] fresh = new float[pool.threads()][];
            for (int i = 0; i < fresh.length; i++) {
                fresh[i] = new float[Math.max(cols, rowScratch.length > 0 ? rowScratch[0].length : 0)];
            }
            rowScratch = fresh;
        }
        return rowScratch;
    }

    private static void matmulRows(WeightMatrix w, float[] x, int n, float[] out, int start, int end, float[] row) {
        int rows = w.rows();
        int cols = w.cols();
        for (int tile = 0; tile < n; tile += ROW_TILE) {
            int tileEnd = Math.min(n, tile + ROW_TILE);
            for (int o = start; o < end; o++) {
                w.loadRow(o, row);
                int b = tile;
                for (; b + 4 <= tileEnd; b += 4) {
                    dot4(row, x, b * cols, cols, out, b * rows + o, rows);
                }
                for (; b < tileEnd; b++) {
                    out[b * rows + o] = dotKernel(row, 0, x, b * cols, cols);
                }
            }
        }
    }

    /**
     * Four dot products of w against consecutive x rows, each accumulated exactly as {@link #dotKernel} would:
     * same lane order, same fused multiply-adds, same reduction, same scalar tail.
     */
    private static void dot4(float[] w, float[] x, int x0, int len, float[] out, int out0, int outStride) {
        FloatVector acc0 = FloatVector.zero(F);
        FloatVector acc1 = FloatVector.zero(F);
        FloatVector acc2 = FloatVector.zero(F);
        FloatVector acc3 = FloatVector.zero(F);
        int x1 = x0 + len;
        int x2 = x1 + len;
        int x3 = x2 + len;
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector wv = FloatVector.fromArray(F, w, i);
            acc0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), acc0);
            acc1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), acc1);
            acc2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), acc2);
            acc3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), acc3);
        }
        float s0 = acc0.reduceLanes(VectorOperators.ADD);
        float s1 = acc1.reduceLanes(VectorOperators.ADD);
        float s2 = acc2.reduceLanes(VectorOperators.ADD);
        float s3 = acc3.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            s0 = Math.fma(w[i], x[x0 + i], s0);
            s1 = Math.fma(w[i], x[x1 + i], s1);
            s2 = Math.fma(w[i], x[x2 + i], s2);
            s3 = Math.fma(w[i], x[x3 + i], s3);
        }
        out[out0] = s0;
        out[out0 + outStride] = s1;
        out[out0 + 2 * outStride] = s2;
        out[out0 + 3 * outStride] = s3;
    }

    private static float dotKernel(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc);
        }
        float sum = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        return dotKernel(a, aOff, b, bOff, len);
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int dim) {
        float inverseRms = (float) (1.0 / Math.sqrt(dotKernel(x, xOff, x, xOff, dim) / dim + eps));
        int i = 0;
        for (int upper = F.loopBound(dim); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(inverseRms).mul(FloatVector.fromArray(F, weight, i))
                    .intoArray(out, outOff + i);
        }
        for (; i < dim; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inverseRms);
        }
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int len) {
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).fma(FloatVector.broadcast(F, alpha), FloatVector.fromArray(F, y, yOff + i))
                    .intoArray(y, yOff + i);
        }
        for (; i < len; i++) {
            y[yOff + i] = Math.fma(alpha, x[xOff + i], y[yOff + i]);
        }
    }
}
