package dev.stride.decoder.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Whole forward passes: a sequence's logits do not depend on how its tokens were grouped into passes. */
class TransformerInvarianceTest {

    private static final ModelConfig[] CONFIGS = {
        TinyModels.llama(),
        TinyModels.config(Architecture.QWEN2, 24, 3, 1, 2, 53, 96, 0),
        TinyModels.config(Architecture.MISTRAL, 32, 4, 4, 1, 47, 64, 5),
    };

    /** Logits of every position of a prompt, computed by one prefill pass. */
    private static float[] prefill(Transformer t, int[] tokens) {
        KvCache cache = new KvCacheBudget(t.config(), 1 << 24).tryAllocate(tokens.length);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < tokens.length; i++) {
            batch.addCausal(cache, tokens[i], i, true);
        }
        PassOutput out = t.forward(batch);
        return Arrays.copyOf(out.logits(), tokens.length * t.config().vocabSize());
    }

    /** The same logits, one token per pass, with unrelated sequences sharing each pass. */
    private static float[] tokenByTokenWithNeighbours(Transformer t, int[] tokens, Random random) {
        int vocab = t.config().vocabSize();
        KvCacheBudget budget = new KvCacheBudget(t.config(), 1 << 26);
        KvCache cache = budget.tryAllocate(tokens.length);
        float[] logits = new float[tokens.length * vocab];
        PassBatch batch = new PassBatch();
        for (int i = 0; i < tokens.length; i++) {
            batch.clear();
            int neighboursBefore = random.nextInt(3);
            for (int k = 0; k < neighboursBefore; k++) {
                addNeighbour(batch, budget, random, vocab);
            }
            int row = batch.logitRows();
            batch.addCausal(cache, tokens[i], i, true);
            for (int k = random.nextInt(3); k > 0; k--) {
                addNeighbour(batch, budget, random, vocab);
            }
            PassOutput out = t.forward(batch);
            System.arraycopy(out.logits(), out.logitsOffset(row), logits, i * vocab, vocab);
        }
        return logits;
    }

    private static void addNeighbour(PassBatch batch, KvCacheBudget budget, Random random, int vocab) {
        int length = 1 + random.nextInt(6);
        KvCache other = budget.tryAllocate(length);
        for (int p = 0; p < length; p++) {
            batch.addCausal(other, random.nextInt(vocab), p, random.nextBoolean());
        }
    }

    @Test
    void prefillEqualsTokenByTokenWithNeighboursBitwise() {
        Random random = new Random(17);
        for (ModelConfig config : CONFIGS) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int[] tokens = random.ints(40, 0, config.vocabSize()).toArray(); // past two key blocks
            float[] reference;
            try (ComputePool pool = new ComputePool(1)) {
                reference = prefill(new Transformer(config, weights, new VectorOps(pool), pool), tokens);
            }
            for (int threads = 1; threads <= 3; threads++) {
                try (ComputePool pool = new ComputePool(threads)) {
                    Transformer t = new Transformer(config, weights, new VectorOps(pool), pool);
                    assertArrayEquals(reference, prefill(t, tokens), config.architecture() + " threads " + threads);
                    assertArrayEquals(reference, tokenByTokenWithNeighbours(t, tokens, random),
                            config.architecture() + " token by token, threads " + threads);
                }
            }
        }
    }

    @Test
    void bf16PanelsPrefillEqualsTokenByTokenWithNeighboursBitwise(@TempDir Path dir) {
        Random random = new Random(18);
        ModelConfig config = TinyModels.llama();
        ModelDirs.write(dir, config, TinyModels.weights(config, 3), DType.BF16);
        try (TensorStore store = TensorStore.openDirectory(dir)) {
            ModelWeights weights = ModelLoader.weights(config, store, WeightLayout.PACKED_BFLOAT16);
            int[] tokens = random.ints(40, 0, config.vocabSize()).toArray();
            for (int threads = 1; threads <= 2; threads++) {
                try (ComputePool pool = new ComputePool(threads)) {
                    Transformer t = new Transformer(config, weights, new VectorOps(pool), pool);
                    // One token per pass widens BF16 in registers; the prefill widens through scratch.
                    assertArrayEquals(prefill(t, tokens), tokenByTokenWithNeighbours(t, tokens, random),
                            "BF16 panels, threads " + threads);
                }
            }
        }
    }

    /**
     * BF16 and F16 weights give the same bits in their half-float panels as widened to float32 panels (the layout of
     * small half-float models until half-float panels measured faster): in registers (one to a few rows per pass)
     * and through scratch (a prefill past the register rows).
     */
    @ParameterizedTest
    @CsvSource({"BF16, PACKED_BFLOAT16", "F16, PACKED_FLOAT16"})
    void halfPanelsEqualFloat32PanelsBitwise(DType dtype, WeightLayout layout, @TempDir Path dir) {
        Random random = new Random(19);
        ModelConfig config = TinyModels.llama();
        ModelDirs.write(dir, config, TinyModels.weights(config, 4), dtype);
        try (TensorStore store = TensorStore.openDirectory(dir); ComputePool pool = new ComputePool(2)) {
            Transformer half = new Transformer(config, ModelLoader.weights(config, store, layout),
                    new VectorOps(pool), pool);
            Transformer f32 = new Transformer(config, ModelLoader.weights(config, store, WeightLayout.PACKED_FLOAT32),
                    new VectorOps(pool), pool);
            int[] tokens = random.ints(Math.min(80, config.maxPositions()), 0, config.vocabSize()).toArray();
            assertArrayEquals(prefill(f32, tokens), prefill(half, tokens), "prefill of " + tokens.length);
            long seed = random.nextLong();
            assertArrayEquals(tokenByTokenWithNeighbours(f32, tokens, new Random(seed)),
                    tokenByTokenWithNeighbours(half, tokens, new Random(seed)), "token by token with neighbours");
        }
    }

    @Test
    void vectorForwardAgreesWithScalarOracle() {
        Random random = new Random(23);
        for (ModelConfig config : CONFIGS) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int[] tokens = random.ints(9, 0, config.vocabSize()).toArray();
            try (ComputePool pool = new ComputePool(2)) {
                float[] fast = prefill(new Transformer(config, weights, new VectorOps(pool), pool), tokens);
                float[] slow = prefill(new Transformer(config, weights, new ScalarOps(), pool), tokens);
                for (int i = 0; i < fast.length; i++) {
                    assertEquals(slow[i], fast[i], 1e-3f * (1 + Math.abs(slow[i])), config.architecture() + " logit " + i);
                }
            }
        }
    }
}
