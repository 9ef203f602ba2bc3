package dev.stride.decoder.cli;

/**
 * The physical floor under a pass's time: its weights read once at the measured memory bandwidth, or its
 * multiply-adds at the measured float32 peak, whichever takes longer. Attention and norms are left out of the
 * bytes (they are small next to the weights at the prefixes measured) but not out of the arithmetic.
 */
record PassBound(long weightBytes, long multiplyAddsPerRow, double bytesPerSecond, double flopsPerSecond) {

    double seconds(int rows) {
        return Math.max(weightBytes / bytesPerSecond, 2.0 * multiplyAddsPerRow * rows / flopsPerSecond);
    }

    /** Rows from which a pass is bound by arithmetic rather than by reading its weights. */
    double computeBoundFromRows() {
        return weightBytes / bytesPerSecond * flopsPerSecond / (2.0 * multiplyAddsPerRow);
    }
}
