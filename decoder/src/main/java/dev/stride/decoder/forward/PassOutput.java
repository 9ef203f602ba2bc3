package dev.stride.decoder.forward;

/**
 * Results of a pass, owned by the caller so that threads sharing one model never read each other's results:
 * final-norm hidden states of every row, and logits of the rows that asked for them, in row order.
 * Reused across passes; grown on demand.
 */
public final class PassOutput {

    private final int hiddenSize;
    private final int vocab;
    private float[] hidden = new float[0]; // (rows, hiddenSize)
    private float[] logits = new float[0]; // (logit rows, vocab)

    public PassOutput(int hiddenSize, int vocab) {
        this.hiddenSize = hiddenSize;
        this.vocab = vocab;
    }

    /** Makes room for a pass of {@code rows} rows, {@code logitRows} of them with logits; backends call it first. */
    public void ensure(int rows, int logitRows) {
        if (hidden.length < rows * hiddenSize) {
            hidden = new float[Math.max(rows, 2 * hidden.length / hiddenSize) * hiddenSize];
        }
        if (logits.length < logitRows * vocab) {
            logits = new float[Math.max(logitRows, 2 * logits.length / vocab) * vocab];
        }
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
