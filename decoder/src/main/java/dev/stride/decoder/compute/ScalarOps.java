package dev.stride.decoder.compute;

import dev.stride.decoder.tensor.WeightMatrix;

/** Plain sequential float32 loops: the reference every fast kernel is tested against. */
public final class ScalarOps implements TensorOps {

    @Override
    public void matmul(WeightMatrix w, float[] x, int n, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < rows; o++) {
                float sum = 0f;
                for (int c = 0; c < cols; c++) {
                    sum += w.get(o, c) * x[b * cols + c];
                }
                out[b * rows + o] = sum;
            }
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int dim) {
        float sumSquares = 0f;
        for (int i = 0; i < dim; i++) {
            sumSquares += x[xOff + i] * x[xOff + i];
        }
        float inverseRms = (float) (1.0 / Math.sqrt(sumSquares / dim + eps));
        for (int i = 0; i < dim; i++) {
            out[outOff + i] = weight[i] * (x[xOff + i] * inverseRms);
        }
    }

    @Override
    public float addWeightedRows(float[] p, int pOff, int count, float[] rows, int rowsOff, int stride, float[] out,
                                 int outOff, int len, float weightSum) {
        for (int i = 0; i < count; i++) {
            weightSum += p[pOff + i];
            for (int d = 0; d < len; d++) {
                out[outOff + d] += p[pOff + i] * rows[rowsOff + i * stride + d];
            }
        }
        return weightSum;
    }

    @Override
    public void keyBlockScores(float[] q, int qOff, float[] keys, int blockOff, int headDim, int block, float[] scores,
                               int scoresOff) {
        for (int j = 0; j < block; j++) {
            float sum = 0f;
            for (int d = 0; d < headDim; d++) {
                sum += q[qOff + d] * keys[blockOff + d * block + j];
            }
            scores[scoresOff + j] = sum;
        }
    }

    @Override
    public float scaleAndMax(float[] x, int off, int len, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + len; i++) {
            x[i] *= scale;
            max = Math.max(max, x[i]);
        }
        return max;
    }

    @Override
    public void expBelow(float max, float[] x, int off, int len) {
        for (int i = off; i < off + len; i++) {
            x[i] = (float) Math.exp(x[i] - max);
        }
    }

    @Override
    public void siluGate(float[] gateUp, int inter, int n, float[] out) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < inter; i++) {
                out[r * inter + i] = silu(gateUp[2 * r * inter + i]) * gateUp[2 * r * inter + inter + i];
            }
        }
    }

    @Override
    public void addSiluResidual(float[] z, float[] bias, float[] x, int n, int dim) {
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < dim; i++) {
                x[r * dim + i] += silu(z[r * dim + i] + bias[i]);
            }
        }
    }

    private static float silu(float z) {
        return (float) (z / (1 + Math.exp(-z)));
    }
}
