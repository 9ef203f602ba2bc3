package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Stream;

/**
 * The devices a GPU test runs on: "cuda" (cuda:0 through the driver) and "sim" (the CPU emulator). A test takes
 * each by name and is skipped, with the reason, where that device is missing: no GPU on a build machine, no
 * emulator library in the GPU bundle.
 */
public final class TestGpus {

    private TestGpus() {
    }

    public static Stream<String> names() {
        return Stream.of("cuda", "sim");
    }

    /** The named device, or a skipped test saying why it is not here. */
    public static Gpu open(String name) {
        if (name.equals("sim")) {
            assumeTrue(SimGpu.unavailableReason() == null, SimGpu::unavailableReason);
            return new SimGpu();
        }
        CudaProbe.Result found = CudaProbe.system().probe(0);
        assumeTrue(found.available(), found::reason);
        return JCudaGpu.open(0, found.kernels());
    }

    /** Whether the device computes with the GPU's own arithmetic (the emulator uses the host's libm). */
    public static boolean isDevice(String name) {
        return name.equals("cuda");
    }
}
