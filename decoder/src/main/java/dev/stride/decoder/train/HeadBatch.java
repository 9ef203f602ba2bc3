package dev.stride.decoder.train;

/**
 * Rows for the heads: base-model hidden states and, per head, the token it should predict (-1 where the sequence
 * ends too soon). Reused: {@link #size} says how many rows are filled.
 */
public final class HeadBatch {

    final float[] hidden;  // (capacity, hidden)
    final int[][] targets; // (heads, capacity)
    int size;

    public HeadBatch(int capacity, int hidden, int heads) {
        this.hidden = new float[capacity * hidden];
        this.targets = new int[heads][capacity];
    }

    public int capacity() {
        return targets[0].length;
    }

    public int size() {
        return size;
    }
}
