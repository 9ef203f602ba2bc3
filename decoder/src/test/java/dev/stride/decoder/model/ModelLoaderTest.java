package dev.stride.decoder.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face checkpoints on disk, in every dtype and layout, load to the model that was written. */
class ModelLoaderTest {

    @TempDir
    Path tmp;

    private static ComputePool pool;

    @BeforeAll
    static void startPool() {
        pool = new ComputePool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** Llama GQA tied; Llama 3 untied with llama3 rope scaling; Qwen2 with biases; Mistral with a window. */
    private static final ModelConfig[] CONFIGS = {
        TinyModels.llama(),
        new ModelConfig(Architecture.LLAMA, 32, 72, 2, 4, 2, 8, 61, 1e-5f, 500000.0,
                new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), 256, false, false, 0),
        TinyModels.config(Architecture.QWEN2, 24, 3, 1, 2, 53, 96, 0),
        TinyModels.config(Architecture.MISTRAL, 32, 4, 4, 1, 47, 64, 5),
        // Mistral Nemo style: head_dim set explicitly, heads * head_dim != hidden_size.
        new ModelConfig(Architecture.MISTRAL, 32, 40, 2, 4, 2, 12, 37, 1e-6f, 1_000_000.0, RopeScaling.NONE, 64,
                false, false, 0),
    };

    // ------------------------------------------------------------------------------------------ forward help

    /** Logits of every position of {@code tokens}, one prefill pass. */
    static float[] prefill(ModelConfig config, ModelWeights weights, TensorOps ops, int[] tokens) {
        Transformer t = new Transformer(config, weights, ops, pool);
        KvCache cache = new KvCacheBudget(config, 1 << 24).tryAllocate(tokens.length);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < tokens.length; i++) {
            batch.addCausal(cache, tokens[i], i, true);
        }
        PassOutput out = t.forward(batch);
        return Arrays.copyOf(out.logits(), tokens.length * config.vocabSize());
    }

    private static float round(float v, DType dtype) {
        return switch (dtype) {
            case F32 -> v;
            case F16 -> HalfFloats.f16ToF32(HalfFloats.f32ToF16(v));
            case BF16 -> HalfFloats.bf16ToF32(HalfFloats.f32ToBf16(v));
        };
    }

    private static WeightMatrix rounded(WeightMatrix m, DType dtype) {
        float[] values = new float[m.rows() * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.loadRow(r, row);
            for (int c = 0; c < row.length; c++) {
                values[r * m.cols() + c] = round(row[c], dtype);
            }
        }
        return new ArrayMatrix(values, m.rows(), m.cols());
    }

    private static float[] rounded(float[] v, DType dtype) {
        if (v == null) {
            return null;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = round(v[i], dtype);
        }
        return out;
    }

    /** The in-memory model as it reads back from a checkpoint of {@code dtype}: the oracle's weights. */
    private static ModelWeights rounded(ModelConfig c, ModelWeights w, DType dtype) {
        LayerWeights[] layers = new LayerWeights[w.layers().length];
        for (int i = 0; i < layers.length; i++) {
            LayerWeights l = w.layers()[i];
            layers[i] = new LayerWeights(rounded(l.attnNorm(), dtype), rounded(l.qkv(), dtype),
                    rounded(l.qkvBias(), dtype), rounded(l.output(), dtype), rounded(l.ffnNorm(), dtype),
                    rounded(l.gateUp(), dtype), rounded(l.down(), dtype));
        }
        WeightMatrix embedding = rounded(w.embedding(), dtype);
        WeightMatrix lmHead = c.tiedEmbeddings() ? embedding : rounded(w.lmHead(), dtype);
        return new ModelWeights(embedding, layers, rounded(w.finalNorm(), dtype), lmHead, dtype);
    }

    private static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])), what + " logit " + i);
        }
    }

    // ------------------------------------------------------------------------------------------------ loading

    @Test
    void everyArchitectureAndDtypeLoadsAndRunsLikeTheScalarOracle() {
        Random random = new Random(41);
        for (ModelConfig config : CONFIGS) {
            ModelWeights weights = TinyModels.weights(config, random.nextLong());
            int[] tokens = random.ints(11, 0, config.vocabSize()).toArray();
            float[] f32Logits = null;
            for (DType dtype : DType.values()) {
                String what = config.architecture() + " " + dtype + (config.tiedEmbeddings() ? " tied" : " untied");
                Path dir = ModelDirs.write(tmp.resolve(config.architecture() + "-" + config.hiddenSize() + "-"
                        + config.headDim() + "-" + config.tiedEmbeddings() + "-" + dtype), config, weights, dtype);
                try (Model model = ModelLoader.load(dir)) {
                    assertEquals(config, model.config(), what + ": config read back");
                    assertEquals(dtype, model.weights().dtype(), what);
                    assertEquals(config.qkvBias(), model.weights().layers()[0].qkvBias() != null, what + " bias");
                    assertEquals(ModelLoader.parameterCount(config), model.parameterCount(), what);

                    float[] fast = prefill(config, model.weights(), new VectorOps(pool), tokens);
                    float[] scalar = prefill(config, model.weights(), new ScalarOps(), tokens);
                    float[] oracle = prefill(config, rounded(config, weights, dtype), new ScalarOps(), tokens);
                    // Same values, same scalar arithmetic: every tensor landed where the oracle has it.
                    assertArrayEquals(oracle, scalar, what + ": loaded weights differ from the written ones");
                    assertClose(oracle, fast, 1e-3f, what + " vector vs scalar");
                    if (dtype == DType.F32) {
                        f32Logits = fast;
                        assertArrayEquals(prefill(config, weights, new ScalarOps(), tokens), scalar, what);
                    } else {
                        // Half precision weights: logits close to float32's, not equal.
                        // Relative to the logits' scale: F16 keeps 11 significant bits, BF16 8.
                        float scale = 0;
                        float maxDiff = 0;
                        for (int i = 0; i < fast.length; i++) {
                            scale = Math.max(scale, Math.abs(f32Logits[i]));
                            maxDiff = Math.max(maxDiff, Math.abs(fast[i] - f32Logits[i]));
                        }
                        System.out.printf("%s: max |logit| %.3f, max diff vs F32 %.5f%n", what, scale, maxDiff);
                        float tolerance = dtype == DType.F16 ? 0.005f : 0.04f;
                        assertTrue(maxDiff <= tolerance * scale, what + ": max diff vs F32 " + maxDiff
                                + " exceeds " + tolerance + " x max |logit| " + scale);
                        assertTrue(maxDiff > 0, what + ": rounding should change something");
                    }
                }
            }
        }
    }

    @Test
    void shardedCheckpointLoadsLikeTheSingleFile() throws IOException {
        ModelConfig config = CONFIGS[1];
        ModelWeights weights = TinyModels.weights(config, 5);
        int[] tokens = {3, 1, 4, 1, 5, 9, 2, 6};
        Path single = ModelDirs.write(tmp.resolve("single"), config, weights, DType.BF16);
        Path sharded = tmp.resolve("sharded");
        ModelDirs.writeConfig(sharded, ModelDirs.configJson(config));
        ModelDirs.writer(ModelDirs.tensors(config, weights), DType.BF16).writeSharded(sharded, 4096);
        long shards;
        try (Stream<Path> files = Files.list(sharded)) {
            shards = files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                    .count();
        }
        assertTrue(shards >= 3, "expected several shards, got " + shards);
        assertTrue(Files.exists(sharded.resolve("model.safetensors.index.json")));
        try (Model a = ModelLoader.load(single); Model b = ModelLoader.load(sharded)) {
            assertEquals(a.config(), b.config());
            assertArrayEquals(prefill(config, a.weights(), new VectorOps(pool), tokens),
                    prefill(config, b.weights(), new VectorOps(pool), tokens));
        }
    }

    @Test
    void mixedDtypesLoadTensorByTensor() {
        // Some checkpoints keep norms and biases in float32 next to half-precision matrices.
        ModelConfig config = CONFIGS[2]; // Qwen2: norms and q/k/v biases
        ModelWeights weights = TinyModels.weights(config, 12);
        Path dir = tmp.resolve("mixed");
        ModelDirs.writeConfig(dir, ModelDirs.configJson(config));
        dev.stride.decoder.safetensors.SafetensorsWriter writer = new dev.stride.decoder.safetensors.SafetensorsWriter();
        ModelDirs.tensors(config, weights).forEach((name, t) -> writer.putFloats(name,
                t.shape().length == 1 ? DType.F32 : DType.BF16, t.shape(), t.values()));
        writer.write(dir.resolve("model.safetensors"));
        Path bf16 = ModelDirs.write(tmp.resolve("all-bf16"), config, weights, DType.BF16);
        int[] tokens = {5, 8, 13, 21, 34};
        try (Model mixed = ModelLoader.load(dir); Model half = ModelLoader.load(bf16)) {
            assertEquals(DType.BF16, mixed.weights().dtype());
            assertArrayEquals(weights.finalNorm(), mixed.weights().finalNorm(), "float32 norm read exactly");
            float[] expected = prefill(config, half.weights(), new ScalarOps(), tokens);
            float[] actual = prefill(config, mixed.weights(), new ScalarOps(), tokens);
            assertClose(expected, actual, 0.05f, "float32 vectors vs bf16 vectors");
        }
    }

    @Test
    void tiedConfigUsesLmHeadWhenTheCheckpointHasOne() {
        ModelConfig tied = TinyModels.llama();
        ModelConfig untied = new ModelConfig(tied.architecture(), tied.hiddenSize(), tied.intermediateSize(),
                tied.numLayers(), tied.numHeads(), tied.numKvHeads(), tied.headDim(), tied.vocabSize(),
                tied.rmsNormEps(), tied.ropeTheta(), tied.ropeScaling(), tied.maxPositions(), false, false, 0);
        ModelWeights weights = TinyModels.weights(untied, 8);
        Path dir = tmp.resolve("tied-with-head");
        ModelDirs.writeConfig(dir, ModelDirs.configJson(tied));
        ModelDirs.writer(ModelDirs.tensors(untied, weights), DType.F32).write(dir.resolve("model.safetensors"));
        int[] tokens = {7, 8, 9};
        try (Model model = ModelLoader.load(dir)) {
            assertArrayEquals(prefill(untied, weights, new ScalarOps(), tokens),
                    prefill(tied, model.weights(), new ScalarOps(), tokens));
        }
    }

    // ------------------------------------------------------------------------------------------------- errors

    private Path writeWithout(ModelConfig config, String missing, String name) {
        Map<String, ModelDirs.Tensor> tensors = ModelDirs.tensors(config, TinyModels.weights(config, 3));
        assertTrue(tensors.remove(missing) != null, "test setup: no tensor " + missing);
        Path dir = tmp.resolve(name);
        ModelDirs.writeConfig(dir, ModelDirs.configJson(config));
        ModelDirs.writer(tensors, DType.F16).write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static RuntimeException loadFails(Path dir, String... mentions) {
        RuntimeException e = assertThrows(RuntimeException.class, () -> ModelLoader.load(dir).close());
        assertTrue(e instanceof ModelException || e instanceof dev.stride.decoder.safetensors.SafetensorsException,
                "unexpected exception type " + e);
        for (String mention : mentions) {
            assertTrue(e.getMessage().contains(mention), "message should mention " + mention + ": " + e.getMessage());
        }
        return e;
    }

    /** A weight q8 cannot hold is refused at load naming its tensor and file (and the stack it was quantized in). */
    @Test
    void aNonFiniteWeightUnderQ8IsNamedWithItsTensor() {
        ModelConfig config = CONFIGS[0];
        Map<String, ModelDirs.Tensor> tensors = ModelDirs.tensors(config, TinyModels.weights(config, 3));
        tensors.get("model.layers.1.mlp.down_proj.weight").values()[2] = Float.NaN;
        Path dir = tmp.resolve("nan-down");
        ModelDirs.writeConfig(dir, ModelDirs.configJson(config));
        ModelDirs.writer(tensors, DType.F32).write(dir.resolve("model.safetensors"));
        ModelException e = assertThrows(ModelException.class, () -> ModelLoader.load(dir, "q8").close());
        for (String mention : new String[] {"model.layers.1.mlp.down_proj.weight", "row 0 column 2",
            dir.resolve("model.safetensors").toString()}) {
            assertTrue(e.getMessage().contains(mention), "message should mention " + mention + ": " + e.getMessage());
        }
        ModelLoader.load(dir).close(); // full precision holds any value
    }

    @Test
    void missingTensorIsNamedWithItsFile() {
        Path dir = writeWithout(CONFIGS[0], "model.layers.1.mlp.up_proj.weight", "no-up");
        loadFails(dir, "model.layers.1.mlp.up_proj.weight", dir.resolve("model.safetensors").toString());
        dir = writeWithout(CONFIGS[2], "model.layers.0.self_attn.k_proj.bias", "no-bias");
        loadFails(dir, "model.layers.0.self_attn.k_proj.bias", dir.toString());
        dir = writeWithout(CONFIGS[3], "lm_head.weight", "no-head");
        loadFails(dir, "lm_head.weight", dir.toString());
        dir = writeWithout(CONFIGS[0], "model.norm.weight", "no-norm");
        loadFails(dir, "model.norm.weight", dir.toString());
    }

    @Test
    void missingTensorInShardedCheckpointIsNamedWithTheIndex() {
        ModelConfig config = CONFIGS[0];
        Map<String, ModelDirs.Tensor> tensors = ModelDirs.tensors(config, TinyModels.weights(config, 3));
        tensors.remove("model.layers.0.self_attn.o_proj.weight");
        Path dir = tmp.resolve("sharded-missing");
        ModelDirs.writeConfig(dir, ModelDirs.configJson(config));
        ModelDirs.writer(tensors, DType.F32).writeSharded(dir, 8192);
        loadFails(dir, "model.layers.0.self_attn.o_proj.weight", dir.toString());
    }

    @Test
    void wrongShapeSaysExpectedAndActual() {
        ModelConfig config = CONFIGS[0]; // k_proj is (kvDim 16, hidden 32)
        Map<String, ModelDirs.Tensor> tensors = ModelDirs.tensors(config, TinyModels.weights(config, 3));
        ModelDirs.Tensor k = tensors.get("model.layers.1.self_attn.k_proj.weight");
        tensors.put("model.layers.1.self_attn.k_proj.weight", new ModelDirs.Tensor(new long[] {32, 16}, k.values()));
        Path dir = tmp.resolve("transposed");
        ModelDirs.writeConfig(dir, ModelDirs.configJson(config));
        ModelDirs.writer(tensors, DType.F32).write(dir.resolve("model.safetensors"));
        loadFails(dir, "model.layers.1.self_attn.k_proj.weight", "[16, 32]", "[32, 16]",
                dir.resolve("model.safetensors").toString());

        // A checkpoint of another model: the embedding has a different vocabulary.
        ModelConfig other = TinyModels.config(Architecture.LLAMA, 32, 4, 2, 2, 60, 128, 0);
        Path mismatch = tmp.resolve("other-vocab");
        ModelDirs.writeConfig(mismatch, ModelDirs.configJson(config));
        ModelDirs.writer(ModelDirs.tensors(other, TinyModels.weights(other, 1)), DType.F32)
                .write(mismatch.resolve("model.safetensors"));
        loadFails(mismatch, "model.embed_tokens.weight", "[61, 32]", "[60, 32]");
    }

    @Test
    void truncatedSafetensorsNamesTheFile() throws IOException {
        Path dir = ModelDirs.write(tmp.resolve("truncated"), CONFIGS[0], TinyModels.weights(CONFIGS[0], 2),
                DType.F16);
        Path file = dir.resolve("model.safetensors");
        long size = Files.size(file);
        try (var channel = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
            channel.truncate(size - 100);
        }
        loadFails(dir, file.toString());

        try (var channel = Files.newByteChannel(file, StandardOpenOption.WRITE)) {
            channel.truncate(5); // not even the header length
        }
        loadFails(dir, file.toString());
    }

    @Test
    void missingConfigOrWeightsOrDirectory() throws IOException {
        Path noConfig = ModelDirs.write(tmp.resolve("no-config"), CONFIGS[0], TinyModels.weights(CONFIGS[0], 2),
                DType.F32);
        Files.delete(noConfig.resolve("config.json"));
        RuntimeException e = loadFails(noConfig, noConfig.toString(), "config.json");
        assertTrue(e instanceof ModelException);

        Path noWeights = tmp.resolve("no-weights");
        ModelDirs.writeConfig(noWeights, ModelDirs.configJson(CONFIGS[0]));
        loadFails(noWeights, noWeights.toString(), "model.safetensors");

        Path absent = tmp.resolve("does-not-exist");
        e = loadFails(absent, absent.toString(), "does not exist");
        assertTrue(e instanceof ModelException);

        Path gguf = Files.write(tmp.resolve("model.gguf"), new byte[] {'G', 'G', 'U', 'F'});
        loadFails(gguf, gguf.toString(), "stride import-gguf");
    }
}
