package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.testing.TinyModels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 8-bit kernel against a scalar reference of its defined order (per block: the block sum of q * x by fused
 * multiply-adds in column order, then acc = fma(scale, block sum, acc)), bit for bit, at every row count and
 * thread count: which also proves a row's result independent of the pass it sits in.
 */
class Q8KernelsTest {

    /** The defined arithmetic of one output element. */
    static float reference(PackedQ8Matrix w, int row, float[] x, int x0) {
        float acc = 0f;
        for (int k = 0; k < w.blockCount(); k++) {
            float sum = 0f;
            for (int c = k * PackedQ8Matrix.BLOCK; c < Math.min(w.cols(), (k + 1) * PackedQ8Matrix.BLOCK); c++) {
                sum = Math.fma((float) w.quant(row, c), x[x0 + c], sum);
            }
            acc = Math.fma(w.scale(row, k), sum, acc);
        }
        return acc;
    }

    /** Blocks of very different magnitudes, so scales run from float16 subnormals to large normals. */
    private static PackedQ8Matrix randomMatrix(Random random, int rows, int cols) {
        float[] values = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k * 32 < cols; k++) {
                float magnitude = (float) Math.pow(10, -6 + 8 * random.nextDouble());
                for (int c = k * 32; c < Math.min(cols, k * 32 + 32); c++) {
                    values[r * cols + c] = (float) random.nextGaussian() * magnitude;
                }
            }
        }
        return PackedQ8Matrix.quantize(new ArrayMatrix(values, rows, cols));
    }

    @Test
    void kernelEqualsTheScalarReferenceBitForBitAtEveryRowAndThreadCount() {
        Random random = new Random(21);
        int[][] shapes = {{197, 131}, {64, 64}, {5, 32}, {300, 96}, {33, 1}, {130, 200}};
        for (int[] shape : shapes) {
            int rows = shape[0];
            int cols = shape[1];
            PackedQ8Matrix w = randomMatrix(random, rows, cols);
            for (int threads = 1; threads <= 3; threads++) {
                try (ComputePool pool = new ComputePool(threads)) {
                    VectorOps ops = new VectorOps(pool);
                    for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 17}) {
                        float[] x = TinyModels.randomFloats(random, n * cols);
                        float[] out = new float[n * rows];
                        ops.matmul(w, x, n, out);
                        for (int b = 0; b < n; b++) {
                            for (int o = 0; o < rows; o++) {
                                assertEquals(Float.floatToRawIntBits(reference(w, o, x, b * cols)),
                                        Float.floatToRawIntBits(out[b * rows + o]), rows + "x" + cols + " threads "
                                                + threads + " rows " + n + " input " + b + " output " + o);
                            }
                        }
                    }
                }
            }
        }
    }
}
