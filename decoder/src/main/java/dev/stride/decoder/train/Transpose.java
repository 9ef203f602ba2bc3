package dev.stride.decoder.train;

/** Cache-blocked matrix transpose: lets the backward pass run its products through the forward matmul kernel. */
final class Transpose {

    private static final int BLOCK = 32;

    private Transpose() {
    }

    /**
     * dst (cols, rows) = transpose of src (rows, cols). The inner loop is contiguous on the side with the longer
     * rows, so the strided side has the shorter stride: long power-of-two strides (a 2048-token vocabulary) map a
     * block's lines onto one cache set.
     */
    static void into(float[] src, int rows, int cols, float[] dst) {
        for (int r0 = 0; r0 < rows; r0 += BLOCK) {
            int r1 = Math.min(rows, r0 + BLOCK);
            for (int c0 = 0; c0 < cols; c0 += BLOCK) {
                int c1 = Math.min(cols, c0 + BLOCK);
                if (rows >= cols) {
                    for (int c = c0; c < c1; c++) {
                        for (int r = r0; r < r1; r++) {
                            dst[c * rows + r] = src[r * cols + c];
                        }
                    }
                } else {
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            dst[c * rows + r] = src[r * cols + c];
                        }
                    }
                }
            }
        }
    }
}
