package dev.stride.decoder.train;

import dev.stride.decoder.compute.VectorExp;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.LaneSum;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Forward and backward passes of the heads over a {@link HeadBatch}, on the engine's matmul kernel. The backward
 * products run through the same kernel on transposed operands (the model keeps transposed weights; activations
 * are transposed here), so every gradient element is one fixed-order reduction whatever the thread count.
 *
 * <p>Objective: sum over heads of weight_k times the mean cross-entropy of head k over rows with a target.
 */
final class HeadPass {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final VectorOps ops;
    private final int hidden;
    private final int vocab;
    private final int layers;
    private int rows;
    private float[][] x;      // (layers + 1) of (rows, hidden): residual stream, x[0] is the batch's input
    private float[][] z;      // (layers) of (rows, hidden): pre-activations W x + b
    private float[] logits;   // (rows, vocab), turned into d objective / d logits in place
    private float[] dx;       // (rows, hidden)
    private float[] dz;       // (rows, hidden)
    private float[] product;  // (rows, hidden)
    private double[] rowLoss; // (rows)
    private int[][] ranks;    // (heads, rows): target rank per row of the last run, -1 without target
    private float[] logitsT;  // (vocab, rows)
    private float[] xT;       // (hidden, rows)
    private float[] dzT;      // (hidden, rows)
    private float[] embedded; // (rows, hidden): the next tokens' embeddings, for token input
    private float[] embeddedT; // (hidden, rows)
    private float[] tokenTerm; // (rows, hidden)

    HeadPass(VectorOps ops, int hidden, int vocab, int layers) {
        this.ops = ops;
        this.hidden = hidden;
        this.vocab = vocab;
        this.layers = layers;
    }

    /** Loss and ranks only. */
    HeadStats evaluate(HeadModel model, HeadBatch batch) {
        return run(model, batch, null, null);
    }

    /** Loss, ranks, and the objective's gradient written (not added) into {@code grads}. */
    HeadStats train(HeadModel model, HeadBatch batch, double[] headWeights, HeadModel grads) {
        return run(model, batch, headWeights, grads);
    }

    private HeadStats run(HeadModel model, HeadBatch batch, double[] headWeights, HeadModel grads) {
        int n = batch.size;
        ensureRows(n);
        if (ranks == null || ranks.length != model.heads() || ranks[0].length != n) {
            ranks = new int[model.heads()][n];
        }
        HeadStats stats = new HeadStats(model.heads());
        x[0] = batch.hidden;
        if (model.tokenInput()) {
            for (int r = 0; r < n; r++) {
                model.embedding().loadRow(batch.nextTokens[r], embedded, r * hidden);
            }
            Transpose.into(embedded, n, hidden, embeddedT);
        }
        for (int k = 0; k < model.heads(); k++) {
            forward(model, k, n);
            int[] targets = batch.targets[k];
            int valid = 0;
            for (int r = 0; r < n; r++) {
                valid += targets[r] >= 0 ? 1 : 0;
            }
            boolean gradient = grads != null && valid > 0;
            float scale = gradient ? (float) (headWeights[k] / valid) : 0f;
            int[] rank = ranks[k];
            ops.pool().parallelFor(n, (start, end, worker) -> {
                for (int r = start; r < end; r++) {
                    rank[r] = crossEntropyRow(r, targets[r], gradient, scale);
                }
            });
            for (int r = 0; r < n; r++) {
                if (rank[r] >= 0) {
                    stats.add(k, rowLoss[r], rank[r]);
                }
            }
            if (gradient) {
                backward(model, k, n, grads);
            } else if (grads != null) {
                zeroHead(grads, k);
            }
        }
        return stats;
    }

    private void forward(HeadModel model, int k, int n) {
        for (int l = 0; l < layers; l++) {
            float[] in = x[l];
            float[] pre = z[l];
            float[] out = x[l + 1];
            float[] bias = model.biases[k][l];
            ops.matmul(model.blocks[k][l], in, n, pre);
            if (l == 0 && model.tokenInput()) {
                ops.matmul(model.tokenInputs[k], embedded, n, tokenTerm);
                for (int i = 0; i < n * hidden; i++) {
                    pre[i] += tokenTerm[i];
                }
            }
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < hidden; i++) {
                    int at = r * hidden + i;
                    float v = pre[at] + bias[i];
                    pre[at] = v;
                    out[at] = in[at] + v / (1f + (float) Math.exp(-v));
                }
            }
        }
        ops.matmul(model.projections[k], x[layers], n, logits);
    }

    /** Target rank of head k in row r of the last run, -1 when the row had no target for it. */
    int rank(int k, int r) {
        return ranks[k][r];
    }

    /**
     * Loss (into rowLoss) and target rank (returned, -1 without target) of one row; for a gradient, replaces the
     * row's logits by scale * (softmax - onehot), or by zeros when the row has no target. Vectorized: the
     * vocabulary-wide exponentials are most of the non-matmul time.
     */
    private int crossEntropyRow(int r, int target, boolean gradient, float scale) {
        int off = r * vocab;
        if (target < 0) {
            if (gradient) {
                Arrays.fill(logits, off, off + vocab, 0f);
            }
            return -1;
        }
        float targetLogit = logits[off + target];
        // Rank: tokens scored above the target, plus equal ones with a lower id (the drafter's tie order).
        int rank = 0;
        FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        int v = 0;
        for (int upper = F.loopBound(vocab); v < upper; v += F.length()) {
            FloatVector value = FloatVector.fromArray(F, logits, off + v);
            maxes = value.max(maxes); // the loop-carried vector never the receiver: see VectorOps.scaleAndMax
            rank += value.compare(VectorOperators.GT, targetLogit).trueCount();
        }
        float max = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY).max(maxes).reduceLanes(VectorOperators.MAX);
        for (; v < vocab; v++) {
            max = Math.max(max, logits[off + v]);
            rank += logits[off + v] > targetLogit ? 1 : 0;
        }
        for (int u = 0; u < target; u++) {
            rank += logits[off + u] == targetLogit ? 1 : 0;
        }
        FloatVector sums = FloatVector.zero(F);
        v = 0;
        for (int upper = F.loopBound(vocab); v < upper; v += F.length()) {
            VectorExp.expBelow(logits, off + v, max, logits, off + v);
            sums = FloatVector.fromArray(F, logits, off + v).add(sums);
        }
        float sum = LaneSum.of(sums);
        for (; v < vocab; v++) {
            float e = (float) Math.exp(logits[off + v] - max); // the tail of a vocabulary not a multiple of F
            logits[off + v] = e;
            sum += e;
        }
        rowLoss[r] = Math.log(sum) + max - targetLogit;
        if (!gradient) {
            return rank;
        }
        float norm = scale / sum;
        v = 0;
        for (int upper = F.loopBound(vocab); v < upper; v += F.length()) {
            FloatVector.fromArray(F, logits, off + v).mul(norm).intoArray(logits, off + v);
        }
        for (; v < vocab; v++) {
            logits[off + v] *= norm;
        }
        logits[off + target] -= scale;
        return rank;
    }

    private void backward(HeadModel model, int k, int n, HeadModel grads) {
        // Projection: dx = dlogits P, dP = dlogits^T x (a shared projection is frozen).
        ops.matmul(model.projectionsT[k], logits, n, dx);
        if (!model.sharedProjection()) {
            Transpose.into(logits, n, vocab, logitsT);
            Transpose.into(x[layers], n, hidden, xT);
            ops.matmul(new ArrayMatrix(xT, hidden, n), logitsT, vocab, grads.projections[k].values());
        }
        for (int l = layers - 1; l >= 0; l--) {
            float[] pre = z[l];
            for (int i = 0; i < n * hidden; i++) {
                float s = 1f / (1f + (float) Math.exp(-pre[i]));
                dz[i] = dx[i] * s * (1f + pre[i] * (1f - s));
            }
            float[] db = grads.biases[k][l];
            Arrays.fill(db, 0f);
            for (int r = 0; r < n; r++) {
                for (int i = 0; i < hidden; i++) {
                    db[i] += dz[r * hidden + i];
                }
            }
            // dW = dz^T x_l; the residual passes dx through unchanged and the block adds dz W.
            Transpose.into(dz, n, hidden, dzT);
            Transpose.into(x[l], n, hidden, xT);
            ops.matmul(new ArrayMatrix(xT, hidden, n), dzT, hidden, grads.blocks[k][l].values());
            if (l == 0 && model.tokenInput()) {
                ops.matmul(new ArrayMatrix(embeddedT, hidden, n), dzT, hidden, grads.tokenInputs[k].values());
            }
            if (l > 0) {
                ops.matmul(model.blocksT[k][l], dz, n, product);
                for (int i = 0; i < n * hidden; i++) {
                    dx[i] += product[i];
                }
            }
        }
    }

    private static void zeroHead(HeadModel grads, int k) {
        for (int l = 0; l < grads.layers(); l++) {
            Arrays.fill(grads.blocks[k][l].values(), 0f);
            Arrays.fill(grads.biases[k][l], 0f);
        }
        if (grads.tokenInput()) {
            Arrays.fill(grads.tokenInputs[k].values(), 0f);
        }
        if (!grads.sharedProjection()) {
            Arrays.fill(grads.projections[k].values(), 0f);
        }
    }

    private void ensureRows(int n) {
        if (n == rows) {
            return;
        }
        x = new float[layers + 1][];
        for (int l = 1; l <= layers; l++) {
            x[l] = new float[n * hidden];
        }
        z = new float[layers][n * hidden];
        logits = new float[n * vocab];
        dx = new float[n * hidden];
        dz = new float[n * hidden];
        product = new float[n * hidden];
        rowLoss = new double[n];
        logitsT = new float[vocab * n];
        xT = new float[hidden * n];
        dzT = new float[hidden * n];
        embedded = new float[n * hidden];
        embeddedT = new float[hidden * n];
        tokenTerm = new float[n * hidden];
        rows = n;
    }
}
