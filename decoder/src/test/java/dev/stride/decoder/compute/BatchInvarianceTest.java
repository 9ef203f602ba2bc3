package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A row's matmul result is bit-identical alone, inside batches of any size at any index, on any thread count, for
 * streamed and packed weights. One thread runs the packed 4-panel blocks; three threads split the panels so
 * finely that the single-panel kernels run instead: equal bits also show the kernels agree with each other.
 */
class BatchInvarianceTest {

    @Test
    void matmulRowIsBitwiseIndependentOfBatchAndThreads() {
        Random random = new Random(11);
        for (int variant = 0; variant < 3 * DType.values().length; variant++) {
            DType dtype = DType.values()[variant / 3];
            int rows = 197; // twelve full panels of 16 and a partial one
            int cols = 131;
            WeightMatrix stored = VectorOpsTest.randomMatrix(random, dtype, rows, cols);
            WeightMatrix w = VectorOpsTest.layout(stored, variant % 3);
            String layout = dtype + " " + w.getClass().getSimpleName();
            float[] row = TinyModels.randomFloats(random, cols);
            float[] alone = new float[rows];
            try (ComputePool pool = new ComputePool(1)) {
                new VectorOps(pool).matmul(w, row, 1, alone);
            }
            for (int threads = 1; threads <= 3; threads++) {
                try (ComputePool pool = new ComputePool(threads)) {
                    VectorOps ops = new VectorOps(pool);
                    for (int n : new int[] {2, 3, 4, 5, 6, 7, 8, 9, 33, 70}) {
                        int at = random.nextInt(n);
                        float[] x = TinyModels.randomFloats(random, n * cols);
                        System.arraycopy(row, 0, x, at * cols, cols);
                        float[] out = new float[n * rows];
                        ops.matmul(w, x, n, out);
                        for (int o = 0; o < rows; o++) {
                            assertEquals(Float.floatToRawIntBits(alone[o]), Float.floatToRawIntBits(out[at * rows + o]),
                                    layout + " threads " + threads + " batch " + n + " index " + at + " output " + o);
                        }
                    }
                }
            }
        }
    }

    /**
     * BF16 and F16 panels (column pairs widened in registers, or through scratch) run the float32 panels' arithmetic.
     * The F16 matrices draw their halves from every finite bit pattern: subnormals, signed zeros and the largest
     * magnitudes each take their own path through the widening.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void halfPanelsGiveTheBitsOfFloat32PanelsOfTheSameValues(DType dtype) {
        Random random = new Random(12);
        try (ComputePool pool = new ComputePool(2)) {
            VectorOps ops = new VectorOps(pool);
            for (int cols : new int[] {1, 2, 7, 64, 131}) {
                WeightMatrix stored = dtype == DType.F16 ? anyFiniteHalves(random, 75, cols)
                        : VectorOpsTest.randomMatrix(random, dtype, 75, cols);
                WeightMatrix half = PackedHalfMatrix.pack(stored);
                WeightMatrix float32 = PackedMatrix.pack(stored);
                for (int n : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 33, 63, 64, 70}) {
                    float[] x = TinyModels.randomFloats(random, n * cols);
                    if (n % 2 == 1) { // an activation past 2^16: F16 panels widen through scratch then
                        x[random.nextInt(x.length)] = -1e5f;
                    }
                    float[] expected = new float[n * 75];
                    float[] actual = new float[n * 75];
                    ops.matmul(float32, x, n, expected);
                    ops.matmul(half, x, n, actual);
                    for (int o = 0; o < expected.length; o++) {
                        assertEquals(Float.floatToRawIntBits(expected[o]), Float.floatToRawIntBits(actual[o]),
                                cols + " columns, " + n + " rows, output " + o);
                    }
                }
            }
        }
    }

    /** An F16 matrix whose halves are drawn uniformly from the finite bit patterns. */
    private static WeightMatrix anyFiniteHalves(Random random, int rows, int cols) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        while (bytes.hasRemaining()) {
            short half = (short) random.nextInt(1 << 16);
            if ((half & 0x7c00) != 0x7c00) {
                bytes.putShort(half);
            }
        }
        return MappedMatrix.of(DType.F16, bytes.flip(), rows, cols);
    }
}
