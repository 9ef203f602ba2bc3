package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The matmul kernels allocate nothing once C2 has compiled them. A Vector API value that C2 does not keep in registers
 * (a helper call left out of line, e.g. at the compiler's node cutoff) is boxed on the heap at every call, and the
 * kernel runs at a fraction of its speed: the q8 four-row block did (two of its four scale widenings out of line; one
 * thread, 1024x1024 in cache, 73 µs against 52 µs once fixed). Before C2 every vector is an object, so each case calls
 * its kernel at every block size until a stretch of calls allocates nothing, or fails at a deadline.
 */
class KernelAllocationTest {

    private static final int ROWS = 128;
    private static final int COLS = 96;
    private static final int MAX_ROWS = 8;
    private static final long DEADLINE_NANOS = 60_000_000_000L;

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

    /** Runs {@code calls} until 200 runs in a row allocate nothing on this thread. */
    private static void assertAllocationFree(String what, Runnable calls) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long allocated;
        do {
            for (int i = 0; i < 2_000; i++) {
                calls.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                calls.run();
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (allocated == 0) {
                return;
            }
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail(what + ": 200 calls at 1-" + MAX_ROWS + " rows still allocated " + allocated + " bytes after "
                + DEADLINE_NANOS / 1_000_000_000 + " s of warm-up: a vector boxed in a compiled kernel");
    }
}
