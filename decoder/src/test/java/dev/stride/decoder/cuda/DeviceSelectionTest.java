package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which backend each --device value gets, and what is said about it, with the machine's CUDA faked. */
class DeviceSelectionTest {

    private static final ModelConfig CONFIG = TinyModels.llama();
    private static final ModelWeights WEIGHTS = TinyModels.weights(CONFIG, 5);
    private static final byte[] KERNELS = {1, 2, 3};

    private final List<LogRecord> logged = new ArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private ComputePool pool;

    @BeforeEach
    void listen() {
        Logger.getLogger(DeviceSelection.class.getName()).addHandler(capture);
        pool = new ComputePool(1);
    }

    @AfterEach
    void stop() {
        Logger.getLogger(DeviceSelection.class.getName()).removeHandler(capture);
        pool.close();
    }

    private Supplier<ForwardBackend> cpu() {
        return () -> new Transformer(CONFIG, WEIGHTS, new VectorOps(pool), pool);
    }

    private static CudaProbe probe(Optional<byte[]> kernels, Supplier<Integer> devices) {
        return new CudaProbe(() -> kernels, devices);
    }

    private static Integer noDriver() {
        throw new UnsatisfiedLinkError("/tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object file");
    }

    private static Gpu unreachable(int ordinal, byte[] kernels) {
        throw new AssertionError("no GPU should be opened");
    }

    @Test
    void autoFallsBackToTheCpuSayingWhy() {
        DeviceSelection selection = new DeviceSelection(probe(Optional.of(KERNELS), DeviceSelectionTest::noDriver),
                DeviceSelectionTest::unreachable);
        ForwardBackend backend = selection.select(DeviceSpec.AUTO, CONFIG, WEIGHTS, cpu());
        assertInstanceOf(Transformer.class, backend);
        assertEquals(1, logged.size());
        assertEquals(Level.INFO, logged.get(0).getLevel());
        assertEquals("device auto: using the CPU backend (no CUDA driver/GPU: libcuda.so.1: cannot open shared "
                + "object file)", logged.get(0).getMessage());
    }

    @Test
    void autoFallsBackWhenTheGpuFailsToStart() {
        DeviceSelection selection = new DeviceSelection(probe(Optional.of(KERNELS), () -> 1), (ordinal, kernels) -> {
            throw new IllegalStateException("CUDA_ERROR_NO_BINARY_FOR_GPU");
        });
        assertInstanceOf(Transformer.class, selection.select(DeviceSpec.AUTO, CONFIG, WEIGHTS, cpu()));
        assertEquals(Level.WARNING, logged.get(0).getLevel());
        assertTrue(logged.get(0).getMessage().contains("cuda:0 failed to start: CUDA_ERROR_NO_BINARY_FOR_GPU"),
                logged.get(0).getMessage());
    }

    @Test
    void autoTakesTheGpuWhenItCanRun() {
        assumeTrue(SimGpu.unavailableReason() == null, SimGpu::unavailableReason);
        DeviceSelection selection = new DeviceSelection(probe(Optional.of(KERNELS), () -> 1),
                (ordinal, kernels) -> new SimGpu());
        try (ForwardBackend backend = selection.select(DeviceSpec.AUTO, CONFIG, WEIGHTS, cpu())) {
            assertInstanceOf(CudaForward.class, backend);
            assertEquals("device auto: using cuda-sim (CPU emulation)", logged.get(0).getMessage());
        }
    }

    @Test
    void cudaFailsWithTheReason() {
        DeviceSelection noDriver = new DeviceSelection(probe(Optional.of(KERNELS), DeviceSelectionTest::noDriver),
                DeviceSelectionTest::unreachable);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> noDriver.select(DeviceSpec.parse("cuda:1"), CONFIG, WEIGHTS, cpu()));
        assertEquals("--device cuda:1: no CUDA driver/GPU: libcuda.so.1: cannot open shared object file",
                e.getMessage());

        DeviceSelection noKernels = new DeviceSelection(probe(Optional.empty(), () -> 1),
                DeviceSelectionTest::unreachable);
        e = assertThrows(IllegalArgumentException.class,
                () -> noKernels.select(DeviceSpec.parse("cuda"), CONFIG, WEIGHTS, cpu()));
        assertEquals("--device cuda:0: no kernels in this build (the decoder jar was built without nvcc)",
                e.getMessage());

        DeviceSelection oneGpu = new DeviceSelection(probe(Optional.of(KERNELS), () -> 1),
                DeviceSelectionTest::unreachable);
        e = assertThrows(IllegalArgumentException.class,
                () -> oneGpu.select(DeviceSpec.parse("cuda:2"), CONFIG, WEIGHTS, cpu()));
        assertEquals("--device cuda:2: cuda:2 does not exist: the driver reports 1 device(s)", e.getMessage());
        assertTrue(logged.isEmpty(), "an explicit device is never replaced by another: " + logged);
    }

    @Test
    void thisMachineWithAGpu() {
        CudaProbe.Result found = CudaProbe.system().probe(0);
        assumeTrue(found.available(), found::reason);
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "auto", 1 << 24))) {
            assertTrue(engine.device().startsWith("cuda:0 "), engine.device());
        }
        assertTrue(logged.get(0).getMessage().startsWith("device auto: using cuda:0 "), logged.get(0).getMessage());
    }

    @Test
    void thisMachineWithoutAGpu() {
        CudaProbe.Result found = CudaProbe.system().probe(0);
        assumeFalse(found.available(), "this machine has a usable GPU");
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "auto", 1 << 24))) {
            assertTrue(engine.device().startsWith("cpu"), engine.device());
        }
        assertTrue(logged.get(0).getMessage().startsWith("device auto: using the CPU backend (" + found.reason()),
                logged.get(0).getMessage());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "cuda", 1 << 24)));
        assertEquals("--device cuda:0: " + found.reason(), e.getMessage());
        assertTrue(found.reason().startsWith("no CUDA driver/GPU: ") || found.reason().startsWith("no kernels"),
                found.reason());
    }
}
