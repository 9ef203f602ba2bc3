package dev.stride.decoder.cuda;

import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Opens the forward backend a {@link DeviceSpec} asks for. {@code cuda[:N]} fails with the reason when CUDA cannot
 * run; {@code auto} takes cuda:0 when it can and otherwise the CPU, saying which and why in one log line.
 */
public final class DeviceSelection {

    /** Opens a GPU given its number and the kernel image. */
    interface GpuOpener {
        Gpu open(int ordinal, byte[] kernels);
    }

    private static final Logger LOG = Logger.getLogger(DeviceSelection.class.getName());

    private final CudaProbe probe;
    private final GpuOpener gpus;

    DeviceSelection(CudaProbe probe, GpuOpener gpus) {
        this.probe = probe;
        this.gpus = gpus;
    }

    /** The backend for {@code spec} on this machine; {@code cpu} builds the CPU backend when that is the choice. */
    public static ForwardBackend open(DeviceSpec spec, ModelConfig config, ModelWeights weights,
                                      Supplier<ForwardBackend> cpu) {
        return new DeviceSelection(CudaProbe.system(), JCudaGpu::open).select(spec, config, weights, cpu);
    }

    ForwardBackend select(DeviceSpec spec, ModelConfig config, ModelWeights weights, Supplier<ForwardBackend> cpu) {
        switch (spec.kind()) {
            case CPU:
                return cpu.get();
            case CUDA: {
                CudaProbe.Result found = probe.probe(spec.ordinal());
                if (!found.available()) {
                    throw new IllegalArgumentException("--device " + spec + ": " + found.reason());
                }
                return CudaForward.open(gpus.open(spec.ordinal(), found.kernels()), config, weights);
            }
            default: {
                CudaProbe.Result found = probe.probe(0);
                if (!found.available()) {
                    LOG.info("device auto: using the CPU backend (" + found.reason() + ")");
                    return cpu.get();
                }
                ForwardBackend gpu;
                try {
                    gpu = CudaForward.open(gpus.open(0, found.kernels()), config, weights);
                } catch (RuntimeException e) {
                    LOG.warning("device auto: using the CPU backend (cuda:0 failed to start: " + e.getMessage() + ")");
                    return cpu.get();
                }
                LOG.info("device auto: using " + gpu.device());
                return gpu;
            }
        }
    }
}
