package dev.stride.decoder.forward;

/**
 * Results of a pass, valid until the next pass: final-norm hidden states of every row, and logits of the rows
 * that asked for them, in row order.
 */
public final class PassOutput {

    private final float[] hidden; // (rows, hiddenSize)
    private final float[] logits; // (logit rows, vocab)
    private final int hiddenSize;
    private final int vocab;

    PassOutput(float[] hidden, float[] logits, int hiddenSize, int vocab) {
        this.hidden = hidden;
        this.logits = logits;
        this.hiddenSize = hiddenSize;
        this.vocab = vocab;
    }

    public float[] hidden() {
        return hidden;
    }

    public int hiddenOffset(int row) {
        return row * hiddenSize;
    }

    public float[] logits() {
        return logits;
    }

    /** Offset of the logits of the {@code index}-th row that asked for logits. */
    public int logitsOffset(int index) {
        return index * vocab;
    }

    public int vocab() {
        return vocab;
    }

    public int hiddenSize() {
        return hiddenSize;
    }
}
