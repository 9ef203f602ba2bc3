package dev.stride.decoder.train;

/**
 * Rows for the heads: base-model hidden states and, per head, the token it should predict (-1 where the sequence
 * ends too soon). Reused: {@link #size} says how many rows are filled.
 */
final class HeadBatch {

    final float[] hidden;  // (capacity, hidden)
    final int[][] targets; // (heads, capacity)
    int size;

    HeadBatch(int capacity, int hidden, int heads) {
        this.hidden = new float[capacity * hidden];
        this.targets = new int[heads][capacity];
    }
}
