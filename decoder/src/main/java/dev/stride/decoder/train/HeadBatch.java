package dev.stride.decoder.train;

/**
 * Rows for the heads: base-model hidden states, the token after each one's position (what heads with token input
 * read) and, per head, the token it should predict (-1 where the sequence ends too soon). Reused: {@link #size}
 * says how many rows are filled.
 */
final class HeadBatch {

    final float[] hidden;  // (capacity, hidden)
    final int[] nextTokens; // (capacity)
    final int[][] targets; // (heads, capacity)
    int size;

    HeadBatch(int capacity, int hidden, int heads) {
        this.hidden = new float[capacity * hidden];
        this.nextTokens = new int[capacity];
        this.targets = new int[heads][capacity];
    }
}
