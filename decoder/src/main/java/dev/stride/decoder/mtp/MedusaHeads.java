package dev.stride.decoder.mtp;

import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.tensor.WeightMatrix;

/**
 * K prediction heads on the base model's final-norm hidden state. Head k is {@code layers} residual blocks
 * {@code x + SiLU(W x + b)} followed by a vocabulary projection, and guesses the token k + 2 positions ahead of
 * the hidden state's own position (the base model's lm_head guesses k + 1 = 1).
 *
 * @param blocks (heads, layers) matrices of shape (hidden, hidden)
 * @param biases (heads, layers) vectors of length hidden
 * @param projections (heads) matrices of shape (vocab, hidden)
 */
public record MedusaHeads(String name, WeightMatrix[][] blocks, float[][][] biases, WeightMatrix[] projections) {

    public MedusaHeads {
        if (projections.length == 0) {
            throw new IllegalArgumentException("heads: need at least one head");
        }
    }

    public int numHeads() {
        return projections.length;
    }

    public int numLayers() {
        return blocks[0].length;
    }

    public int hiddenSize() {
        return projections[0].cols();
    }

    public int vocabSize() {
        return projections[0].rows();
    }

    /**
     * Logits of head k for n hidden states.
     *
     * @param hidden (n, hidden)
     * @param x scratch, at least (n, hidden): the head's residual stream
     * @param linear scratch, at least (n, hidden)
     * @param logits (n, vocab)
     */
    public void forwardHead(TensorOps ops, int k, float[] hidden, int n, float[] x, float[] linear, float[] logits) {
        int h = hiddenSize();
        System.arraycopy(hidden, 0, x, 0, n * h);
        for (int l = 0; l < numLayers(); l++) {
            ops.matmul(blocks[k][l], x, n, linear);
            ops.addSiluResidual(linear, biases[k][l], x, n, h);
        }
        ops.matmul(projections[k], x, n, logits);
    }
}
