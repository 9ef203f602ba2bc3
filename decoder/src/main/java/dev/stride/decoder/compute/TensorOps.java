package dev.stride.decoder.compute;

import dev.stride.decoder.tensor.WeightMatrix;

/**
 * The numeric kernels of a forward pass. {@link ScalarOps} is the obviously-correct oracle; {@link VectorOps}
 * is what runs. Every op computes each output element with one fixed reduction order, independent of how many
 * rows are processed together and of the thread count: this is what makes multi-token verification exact.
 */
public interface TensorOps {

    /** out[n][w.rows] = x[n][w.cols] times the transpose of w. */
    void matmul(WeightMatrix w, float[] x, int n, float[] out);

    /** out[outOff, +dim) = x[xOff, +dim) / rms(x) * weight. */
    void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int dim);

    /**
     * Adds {@code count} weighted rows to out: out[outOff + d] += p[pOff + i] * rows[rowsOff + i * stride + d] for
     * d in [0, len), one fused multiply-add per term, i = 0, 1, ... in order (attention's weighted sum of values),
     * and returns {@code weightSum} + p[pOff] + p[pOff + 1] + ... added in the same order (the softmax
     * denominator, summed while the weights are read anyway). So one call over n rows gives the same bits as n
     * calls of one row each, each passing on the last one's sum.
     */
    float addWeightedRows(float[] p, int pOff, int count, float[] rows, int rowsOff, int stride, float[] out,
                          int outOff, int len, float weightSum);

    /**
     * Attention scores of one query against a block of {@code block} keys stored dimension-major (dimension d of
     * key j at keys[blockOff + d * block + j]): scores[scoresOff + j] = q . key_j. Every key's score is the same
     * arithmetic whichever block lane it sits in.
     */
    void keyBlockScores(float[] q, int qOff, float[] keys, int blockOff, int headDim, int block, float[] scores,
                        int scoresOff);

    /**
     * {@link #keyBlockScores} of {@code queries} queries at q[qOff + j * headDim] (heads of one row that share a
     * key/value head), query j's scores to scores[scoresOff + j * scoresStride]: each query gets the bits it gets
     * alone; a kernel may read the block's keys once for all of them.
     */
    default void keyBlockScores(float[] q, int qOff, int queries, float[] keys, int blockOff, int headDim, int block,
                                float[] scores, int scoresOff, int scoresStride) {
        for (int j = 0; j < queries; j++) {
            keyBlockScores(q, qOff + j * headDim, keys, blockOff, headDim, block, scores, scoresOff + j * scoresStride);
        }
    }

    /**
     * {@link #addWeightedRows} of {@code queries} weight vectors over the same rows: query j's weights from
     * p[pOff + j * pStride], its output at out[outOff + j * len], its running weight sum in weightSums[j]. Each
     * query gets the bits it gets alone; a kernel may read each row once for all of them.
     */
    default void addWeightedRows(float[] p, int pOff, int pStride, int queries, int count, float[] rows, int rowsOff,
                                 int stride, float[] out, int outOff, int len, float[] weightSums) {
        for (int j = 0; j < queries; j++) {
            weightSums[j] = addWeightedRows(p, pOff + j * pStride, count, rows, rowsOff, stride, out, outOff + j * len,
                    len, weightSums[j]);
        }
    }

    /** x[off + i] *= scale for i in [0, len); returns the largest scaled value (negative infinity if len is 0). */
    float scaleAndMax(float[] x, int off, int len, float scale);

    /**
     * x[off + i] = exp(x[off + i] - max) for i in [0, len), where every x[off + i] <= max: softmax numerators. The
     * 16 floats after them, x[off + len, off + len + 16), are scratch the call may overwrite (with zeros), so that
     * it runs whole vectors only.
     */
    void expBelow(float max, float[] x, int off, int len);

    /** out[r][i] = SiLU(gateUp[r][i]) * gateUp[r][inter + i] for n rows of width 2 * inter: the gated MLP. */
    void siluGate(float[] gateUp, int inter, int n, float[] out);

    /** x[r][i] += SiLU(z[r][i] + bias[i]) for n rows of width dim: a residual SiLU block. */
    void addSiluResidual(float[] z, float[] bias, float[] x, int n, int dim);
}
