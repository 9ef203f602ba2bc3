package dev.stride.decoder.compute;

import static dev.stride.decoder.testing.AllocationProbe.assertAllocationFree;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The matmul kernels allocate nothing once C2 has compiled them. A Vector API value that C2 does not keep in registers
 * (a helper call left out of line, e.g. at the compiler's node cutoff) is boxed on the heap at every call, and the
 * kernel runs at a fraction of its speed: the q8 four-row block did (two of its four scale widenings out of line; one
 * thread, 1024x1024 in cache, 73 µs against 52 µs once fixed). Each case calls its kernel at every block size until a
 * stretch of calls allocates nothing ({@link dev.stride.decoder.testing.AllocationProbe}).
 */
class KernelAllocationTest {

    private static final int ROWS = 128;
    private static final int COLS = 96;
    private static final int MAX_ROWS = 8;

    private final Random random = new Random(3);
    private final float[] x = new float[MAX_ROWS * COLS];
    private final float[] out = new float[MAX_ROWS * ROWS];

    KernelAllocationTest() {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
    }

    @Test
    void q8KernelsAllocateNothingOnceCompiled() {
        PackedQ8Matrix w = PackedQ8Matrix.quantize(VectorOpsTest.randomMatrix(random, DType.F32, ROWS, COLS));
        float[] acc = new float[Q8Kernels.SCRATCH];
        assertAllocationFree("q8", () -> {
            for (int n = 1; n <= MAX_ROWS; n++) {
                Q8Kernels.matmul(w, x, n, out, 0, w.tileCount(), acc);
            }
        });
    }

    @Test
    void float32PanelKernelsAllocateNothingOnceCompiled() {
        PackedMatrix w = PackedMatrix.pack(VectorOpsTest.randomMatrix(random, DType.F32, ROWS, COLS));
        assertAllocationFree("float32 panels", () -> {
            for (int n = 1; n <= MAX_ROWS; n++) {
                PackedKernels.matmul(w, x, n, out, 0, w.panelCount());
            }
        });
    }

    @Test
    void halfPanelKernelsAllocateNothingOnceCompiled() {
        for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
            PackedHalfMatrix w = PackedHalfMatrix.pack(VectorOpsTest.randomMatrix(random, dtype, ROWS, COLS));
            float[][] inputs = new float[MAX_ROWS + 1][];
            for (int n = 1; n <= MAX_ROWS; n++) {
                inputs[n] = PackedKernels.registerInputs(w, x, n, new float[n * COLS]);
            }
            float[] scratch = new float[4 * COLS * PackedMatrix.PANEL];
            assertAllocationFree(dtype + " panels", () -> {
                for (int n = 1; n <= MAX_ROWS; n++) {
                    PackedKernels.matmul(w, x, n, out, 0, w.panelCount(), inputs[n], scratch);
                }
            });
        }
    }
}
