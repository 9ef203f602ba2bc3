package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.testing.TinyModels;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Whole GPU forward passes: agreement with the CPU oracle, and bitwise independence from how rows are grouped. */
class CudaForwardTest {

    /** Grouped-query Llama, Qwen2 with q/k/v bias, Mistral with a sliding window shorter than the prompts. */
    private static final ModelConfig[] CONFIGS = {
        TinyModels.llama(),
        TinyModels.config(Architecture.QWEN2, 24, 3, 1, 2, 53, 96, 0),
        TinyModels.config(Architecture.MISTRAL, 32, 4, 4, 1, 47, 64, 5),
    };

    static List<String> gpus() {
        return TestGpus.names().toList();
    }

    /** Logits of every position of a prompt, from one prefill pass. */
    private static float[] prefill(ForwardBackend backend, int[] tokens) {
        KvCacheBudget budget = backend.kvCacheBudget(1 << 24);
        KvCache cache = budget.tryAllocate(tokens.length);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < tokens.length; i++) {
            batch.addCausal(cache, tokens[i], i, true);
        }
        PassOutput out = backend.forward(batch);
        float[] logits = Arrays.copyOf(out.logits(), tokens.length * backend.config().vocabSize());
        budget.release(cache);
        return logits;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void logitsAgreeWithTheScalarCpuForward(String name) {
        Random random = new Random(31);
        Long before = null; // emulator memory in use before the first backend, to catch leaks
        for (ModelConfig config : CONFIGS) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int[] tokens = random.ints(9, 0, config.vocabSize()).toArray();
            float[] expected;
            try (ComputePool pool = new ComputePool(1)) {
                expected = prefill(new Transformer(config, weights, new ScalarOps(), pool), tokens);
            }
            Gpu device = TestGpus.open(name);
            if (before == null && device instanceof SimGpu) {
                before = SimGpu.allocatedBytes();
            }
            float[] actual;
            try (CudaForward gpu = CudaForward.open(device, config, weights)) {
                actual = prefill(gpu, tokens);
            }
            // The bound the CPU vector kernels meet against the same oracle.
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-3f * (1 + Math.abs(expected[i])),
                        config.architecture() + " logit " + i);
            }
        }
        if (before != null) {
            assertEquals(before, SimGpu.allocatedBytes(), "device memory left allocated after close");
        }
    }

    /**
     * max_position_embeddings only bounds positions: the CPU computes rotary tables for the positions passes reach,
     * so a model declaring a context of 2^30 or 2^31 - 1 positions runs there. Tables for every declared position
     * overflow an int (position times head_dim / 2) and would not fit anyway.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void modelsDeclaringHugeContextsRunLikeOnTheCpu(String name) {
        Random random = new Random(41);
        for (int context : new int[] {1 << 30, Integer.MAX_VALUE}) {
            ModelConfig config = TinyModels.config(Architecture.LLAMA, 32, 4, 2, 2, 61, context, 0);
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int[] tokens = random.ints(9, 0, config.vocabSize()).toArray();
            float[] expected;
            try (ComputePool pool = new ComputePool(1)) {
                expected = prefill(new Transformer(config, weights, new ScalarOps(), pool), tokens);
            }
            float[] actual;
            try (CudaForward gpu = CudaForward.open(TestGpus.open(name), config, weights)) {
                actual = prefill(gpu, tokens);
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-3f * (1 + Math.abs(expected[i])), context + ": logit " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void prefillEqualsTokenByTokenWithNeighboursBitwise(String name) {
        Random random = new Random(37);
        for (ModelConfig config : CONFIGS) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int vocab = config.vocabSize();
            int[] tokens = random.ints(12, 0, vocab).toArray();
            try (CudaForward gpu = CudaForward.open(TestGpus.open(name), config, weights)) {
                float[] reference = prefill(gpu, tokens);
                KvCacheBudget budget = gpu.kvCacheBudget(1 << 26);
                KvCache cache = budget.tryAllocate(tokens.length);
                PassBatch batch = new PassBatch();
                for (int i = 0; i < tokens.length; i++) {
                    batch.clear();
                    for (int k = random.nextInt(3); k > 0; k--) {
                        addNeighbour(batch, budget, random, vocab);
                    }
                    int row = batch.logitRows();
                    batch.addCausal(cache, tokens[i], i, true);
                    for (int k = random.nextInt(3); k > 0; k--) {
                        addNeighbour(batch, budget, random, vocab);
                    }
                    PassOutput out = gpu.forward(batch);
                    assertArrayEquals(Arrays.copyOfRange(reference, i * vocab, (i + 1) * vocab),
                            Arrays.copyOfRange(out.logits(), out.logitsOffset(row), out.logitsOffset(row) + vocab),
                            config.architecture() + " token " + i);
                }
            }
        }
    }

    private static void addNeighbour(PassBatch batch, KvCacheBudget budget, Random random, int vocab) {
        int length = 1 + random.nextInt(6);
        KvCache other = budget.tryAllocate(length);
        for (int p = 0; p < length; p++) {
            batch.addCausal(other, random.nextInt(vocab), p, random.nextBoolean());
        }
    }

    /** A kernel would store the row's key and value before the cache's first slot: another allocation's memory. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void rejectsANegativeSlotBeforeAnyKernelWritesIt(String name) {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 2);
        try (CudaForward gpu = CudaForward.open(TestGpus.open(name), config, weights)) {
            KvCache cache = gpu.kvCacheBudget(1 << 20).tryAllocate(4);
            RuntimeException e = assertThrows(RuntimeException.class, () -> {
                PassBatch batch = new PassBatch();
                batch.add(cache, 1, 1, -1, 1, null, 0, true); // sees slot 0, writes slot -1
                gpu.forward(batch);
            });
            assertTrue(e.getMessage().contains("slot -1"), e.getMessage());
        }
    }

    /**
     * After a kernel fault every CUDA call fails, frees included, until the context is destroyed: close must still
     * release the context, or it stays retained, with its memory and its fault, for every later backend of the process.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void closeAfterAFaultStillReleasesTheDevice(String name) {
        assumeTrue(name.equals("sim"), "a fault is injected around the emulator");
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 3);
        Gpu sim = TestGpus.open(name);
        long before = SimGpu.allocatedBytes();
        FaultingGpu device = new FaultingGpu(sim);
        CudaForward gpu = CudaForward.open(device, config, weights);
        KvCache cache = gpu.kvCacheBudget(1 << 20).tryAllocate(4);
        PassBatch batch = new PassBatch();
        batch.addCausal(cache, 1, 0, true);
        gpu.forward(batch);
        device.faulted = true;
        assertThrows(IllegalStateException.class, gpu::close);
        assertTrue(device.closed, "the device was not closed");
        assertEquals(before, SimGpu.allocatedBytes(), "device memory left allocated");
    }

    /** A device whose calls fail once it has faulted, and whose close frees everything, as a context's destruction. */
    private static final class FaultingGpu implements Gpu {
        private final Gpu device;
        private final Set<Long> live = new HashSet<>();
        boolean faulted;
        boolean closed;

        FaultingGpu(Gpu device) {
            this.device = device;
        }

        private void check() {
            if (faulted) {
                throw new IllegalStateException("CUDA_ERROR_ILLEGAL_ADDRESS");
            }
        }

        @Override
        public String describe() {
            return "faulting " + device.describe();
        }

        @Override
        public long freeMemory() {
            check();
            return device.freeMemory();
        }

        @Override
        public long allocate(long bytes) {
            check();
            long address = device.allocate(bytes);
            live.add(address);
            return address;
        }

        @Override
        public void free(long address) {
            check();
            live.remove(address);
            device.free(address);
        }

        @Override
        public void upload(long dst, ByteBuffer src) {
            check();
            device.upload(dst, src);
        }

        @Override
        public void upload(long dst, float[] src, int count) {
            check();
            device.upload(dst, src, count);
        }

        @Override
        public void upload(long dst, int[] src, int count) {
            check();
            device.upload(dst, src, count);
        }

        @Override
        public void upload(long dst, long[] src, int count) {
            check();
            device.upload(dst, src, count);
        }

        @Override
        public void download(float[] dst, long src, int count) {
            check();
            device.download(dst, src, count);
        }

        @Override
        public void download(int[] dst, long src, int count) {
            check();
            device.download(dst, src, count);
        }

        @Override
        public void launch(String kernel, int gridX, int gridY, int blockSize, int sharedBytes, Object... args) {
            check();
            device.launch(kernel, gridX, gridY, blockSize, sharedBytes, args);
        }

        @Override
        public void close() {
            closed = true;
            live.forEach(device::free);
            live.clear();
            device.close();
        }
    }

    /**
     * A matmul launches one block row per 16 outputs, and a grid has at most 65,535 of them: the lm_head of a
     * vocabulary past 1,048,560 cannot launch. That must stop the load, not the first pass after it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void refusesAtLoadAVocabularyBeyondTheMatmulGrid(String name) {
        ModelConfig config = TinyModels.config(Architecture.LLAMA, 8, 1, 1, 1, 1_048_561, 16, 0);
        ModelWeights weights = TinyModels.weights(config, 4);
        Gpu device = TestGpus.open(name);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            try (CudaForward gpu = CudaForward.open(device, config, weights)) {
                prefill(gpu, new int[] {1, 2});
            }
        });
        assertTrue(e.getMessage().contains("vocab_size") && e.getMessage().contains("1048561"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void rejectsCachesOfAnotherBackend(String name) {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 1);
        try (CudaForward gpu = CudaForward.open(TestGpus.open(name), config, weights)) {
            PassBatch batch = new PassBatch();
            batch.addCausal(new KvCacheBudget(config, 1 << 20).tryAllocate(4), 1, 0, true);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gpu.forward(batch));
            assertTrue(e.getMessage().contains("another backend"), e.getMessage());
        }
    }
}
