package dev.stride.decoder.cuda;

import java.util.Optional;
import java.util.function.Supplier;

/** Whether this process can run the CUDA backend on a device, and if not, why, in one line. */
public final class CudaProbe {

    /** What a probe found: the kernel image when CUDA can run, otherwise the reason it cannot. */
    public record Result(byte[] kernels, String reason) {

        public boolean available() {
            return reason == null;
        }
    }

    private final Supplier<Optional<byte[]>> kernels;
    private final Supplier<Integer> deviceCount;

    CudaProbe(Supplier<Optional<byte[]>> kernels, Supplier<Integer> deviceCount) {
        this.kernels = kernels;
        this.deviceCount = deviceCount;
    }

    /** Probes this build's kernels and the machine's CUDA driver. */
    public static CudaProbe system() {
        return new CudaProbe(KernelImage::load, JCudaGpu::deviceCount);
    }

    public Result probe(int ordinal) {
        Optional<byte[]> image = kernels.get();
        if (image.isEmpty()) {
            return new Result(null, KernelImage.MISSING);
        }
        int count;
        try {
            count = deviceCount.get();
        } catch (LinkageError e) {
            return new Result(null, "no CUDA driver/GPU: " + driverProblem(e));
        } catch (RuntimeException e) {
            return new Result(null, "no CUDA driver/GPU: cuInit failed: " + e.getMessage());
        }
        if (count == 0) {
            return new Result(null, "no CUDA driver/GPU: the driver reports no devices");
        }
        if (ordinal >= count) {
            return new Result(null, "cuda:" + ordinal + " does not exist: the driver reports " + count + " device(s)");
        }
        return new Result(image.get(), null);
    }

    /** The line that names the missing library, out of JCuda's multi-page loading report. */
    private static String driverProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            for (String line : message.split("\n")) {
                int at = line.indexOf("libcuda");
                if (at >= 0) {
                    return line.substring(at).trim();
                }
            }
        }
        String first = String.valueOf(e.getMessage()).split("\n")[0];
        return e.getClass().getSimpleName() + ": " + first;
    }
}
