package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Medusa heads on disk, in both namings, read back exactly and checked against the base model. */
class HeadsLoaderTest {

    @TempDir
    Path tmp;

    private static final ModelConfig BASE = TinyModels.llama(); // hidden 32, vocab 61
    private static final ObjectMapper JSON = new ObjectMapper();

    private static MedusaHeads heads(ModelConfig config, int count, int layers, long seed) {
        ModelWeights weights = TinyModels.weights(config, seed);
        return TinyModels.heads(config, weights, count, layers, seed + 1);
    }

    private static float[] values(WeightMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.loadRow(r, row);
            System.arraycopy(row, 0, out, r * m.cols(), m.cols());
        }
        return out;
    }

    private static float[] round(float[] values, DType dtype) {
        float[] out = values.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case F32 -> out[i];
                case F16 -> HalfFloats.f16ToF32(HalfFloats.f32ToF16(out[i]));
                case BF16 -> HalfFloats.bf16ToF32(HalfFloats.f32ToBf16(out[i]));
            };
        }
        return out;
    }

    /**
     * Loaded heads hold the written values rounded to the file's dtype: biases exactly so, matrices then quantized
     * to 8 bits (heads of a cache-sized model draft in q8).
     */
    private static void assertSameHeads(MedusaHeads expected, MedusaHeads actual, DType dtype) {
        assertEquals(expected.numHeads(), actual.numHeads());
        assertEquals(expected.numLayers(), actual.numLayers());
        assertEquals(expected.hiddenSize(), actual.hiddenSize());
        assertEquals(expected.vocabSize(), actual.vocabSize());
        for (int k = 0; k < expected.numHeads(); k++) {
            for (int l = 0; l < expected.numLayers(); l++) {
                assertArrayEquals(held(expected.blocks()[k][l], dtype), values(actual.blocks()[k][l]),
                        "head " + k + " layer " + l + " weight");
                assertArrayEquals(round(expected.biases()[k][l], dtype), actual.biases()[k][l],
                        "head " + k + " layer " + l + " bias");
            }
            assertArrayEquals(held(expected.projections()[k], dtype), values(actual.projections()[k]),
                    "head " + k + " projection");
        }
    }

    /** The values of m as the loader holds a head's matrix from a file of dtype: rounded to it, then 8-bit. */
    private static float[] held(WeightMatrix m, DType dtype) {
        return values(PackedQ8Matrix.quantize(new ArrayMatrix(round(values(m), dtype), m.rows(), m.cols())));
    }

    private static float[][] logits(MedusaHeads heads, float[] hidden, int n) {
        float[][] logits = new float[heads.numHeads()][n * heads.vocabSize()];
        for (int k = 0; k < heads.numHeads(); k++) {
            heads.forwardHead(new ScalarOps(), k, hidden, new int[n], n, heads.newScratch(n), logits[k]);
        }
        return logits;
    }

    @Test
    void writerLoaderRoundTripF32AndF16() {
        for (int layers : new int[] {1, 2}) {
            MedusaHeads original = heads(BASE, 3, layers, 10 + layers);
            for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                Path dir = tmp.resolve("heads-" + layers + "-" + dtype);
                HeadsWriter.write(original, dir, "my-base-model", dtype);
                assertTrue(Files.isRegularFile(dir.resolve(HeadsLoader.WEIGHTS_FILE)));
                HeadsLoader.Loaded loaded = HeadsLoader.load(dir, BASE);
                try {
                    assertSameHeads(original, loaded.heads(), dtype);
                    assertEquals("my-base-model", loaded.baseModel());
                    assertEquals(dir.getFileName().toString(), loaded.heads().name());
                    if (dtype == DType.F32) {
                        float[] hidden = TinyModels.randomFloats(new Random(layers), 2 * BASE.hiddenSize());
                        float[][] expected = logits(TinyModels.heldForDrafting(original), hidden, 2);
                        float[][] actual = logits(loaded.heads(), hidden, 2);
                        for (int k = 0; k < expected.length; k++) {
                            assertArrayEquals(expected[k], actual[k], "head " + k + " logits");
                        }
                    }
                } finally {
                    loaded.store().close();
                }
            }
        }
    }

    /** Writes heads under vLLM's tensor names into model.safetensors, with a Medusa config. */
    private Path writeVllm(MedusaHeads heads, String name, DType dtype) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        int h = heads.hiddenSize();
        SafetensorsWriter writer = new SafetensorsWriter();
        for (int k = 0; k < heads.numHeads(); k++) {
            for (int l = 0; l < heads.numLayers(); l++) {
                writer.putFloats("blocks." + k + ".layers." + l + ".weight", dtype, new long[] {h, h},
                        values(heads.blocks()[k][l]));
                writer.putFloats("blocks." + k + ".layers." + l + ".bias", dtype, new long[] {h},
                        heads.biases()[k][l]);
            }
            writer.putFloats("lm_heads." + k + ".weight", dtype, new long[] {heads.vocabSize(), h},
                    values(heads.projections()[k]));
        }
        writer.write(dir.resolve("model.safetensors"));
        ObjectNode config = JSON.createObjectNode().put("medusa_num_heads", heads.numHeads())
                .put("medusa_num_layers", heads.numLayers()).put("hidden_size", h)
                .put("vocab_size", heads.vocabSize());
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    /** A weight that 8-bit heads cannot hold is refused at load, naming the file and the tensor or list. */
    @Test
    void aNonFiniteHeadWeightIsRefusedNamingItsTensor() throws IOException {
        MedusaHeads original = heads(BASE, 2, 1, 41);
        ((ArrayMatrix) original.blocks()[1][0]).values()[5] = Float.NaN;
        Path dir = tmp.resolve("nan-block");
        HeadsWriter.write(original, dir, "base", DType.F32);
        ModelException e = assertThrows(ModelException.class, () -> HeadsLoader.load(dir, BASE));
        assertTrue(e.getMessage().contains(HeadsLoader.WEIGHTS_FILE) && e.getMessage().contains("'1.0.linear.weight'")
                && e.getMessage().contains("row 0 column 5"), e.getMessage());

        MedusaHeads infinite = heads(BASE, 2, 1, 42);
        WeightMatrix projection = infinite.projections()[0];
        ((ArrayMatrix) projection).values()[3 * projection.cols()] = Float.POSITIVE_INFINITY; // token 3's row
        Path listed = tmp.resolve("inf-projection");
        HeadsWriter.write(infinite, listed, "base", DType.F32);
        new DraftVocabulary(new int[] {7, 3}, 0.9, 100).write(listed);
        e = assertThrows(ModelException.class, () -> HeadsLoader.load(listed, BASE));
        assertTrue(e.getMessage().contains(DraftVocabulary.FILE) && e.getMessage().contains("row 1 column 0"),
                e.getMessage());
    }

    /** A draft vocabulary beside the heads restricts every projection to its tokens' rows, in its order. */
    @Test
    void aDraftVocabularyBesideTheHeadsRestrictsTheirProjections() throws IOException {
        MedusaHeads original = heads(BASE, 2, 1, 31);
        Path dir = tmp.resolve("restricted");
        HeadsWriter.write(original, dir, "base", DType.F32);
        int[] ids = {40, 3, 17, 60, 0};
        new DraftVocabulary(ids, 0.9, 100).write(dir);
        HeadsLoader.Loaded loaded = HeadsLoader.load(dir, BASE);
        try {
            MedusaHeads heads = loaded.heads();
            assertArrayEquals(ids, heads.draftIds());
            assertEquals(ids.length, heads.vocabSize());
            float[] full = new float[BASE.hiddenSize()];
            float[] row = new float[BASE.hiddenSize()];
            for (int k = 0; k < heads.numHeads(); k++) {
                for (int i = 0; i < ids.length; i++) {
                    original.projections()[k].loadRow(ids[i], full);
                    heads.projections()[k].loadRow(i, row);
                    float[] held = values(PackedQ8Matrix.quantize(new ArrayMatrix(full, 1, full.length)));
                    assertArrayEquals(held, row, "head " + k + ", row of token " + ids[i]);
                }
            }
        } finally {
            loaded.store().close();
        }
        Files.writeString(dir.resolve(DraftVocabulary.FILE), "{\"ids\": [1, 61]}");
        ModelException e = assertThrows(ModelException.class, () -> HeadsLoader.load(dir, BASE));
        assertTrue(e.getMessage().contains("ids[1] = 61"), e.getMessage());
    }

    @Test
    void vllmNamingLoadsToTheSameHeads() throws IOException {
        MedusaHeads original = heads(BASE, 4, 2, 77);
        HeadsWriter.write(original, tmp.resolve("medusa"), "base", DType.F32);
        Path vllm = writeVllm(original, "vllm", DType.F32);
        HeadsLoader.Loaded a = HeadsLoader.load(tmp.resolve("medusa"), BASE);
        HeadsLoader.Loaded b = HeadsLoader.load(vllm, BASE);
        try {
            assertSameHeads(a.heads(), b.heads(), DType.F32);
            assertSameHeads(original, b.heads(), DType.F32);
        } finally {
            a.store().close();
            b.store().close();
        }
        Path vllm16 = writeVllm(original, "vllm16", DType.F16);
        HeadsLoader.Loaded c = HeadsLoader.load(vllm16, BASE);
        try {
            assertSameHeads(original, c.heads(), DType.F16);
        } finally {
            c.store().close();
        }
    }

    // ------------------------------------------------------------------------------------------------- errors

    private static ModelException loadFails(Path dir, ModelConfig base, String... mentions) {
        ModelException e = assertThrows(ModelException.class, () -> HeadsLoader.load(dir, base).store().close());
        for (String mention : mentions) {
            assertTrue(e.getMessage().contains(mention), "message should mention " + mention + ": " + e.getMessage());
        }
        return e;
    }

    private static void editConfig(Path dir, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
    }

    @Test
    void headsOfAModelWithAnotherHiddenSize() throws IOException {
        ModelConfig other = TinyModels.config(Architecture.LLAMA, 24, 4, 2, 2, 61, 128, 0);
        Path dir = tmp.resolve("hidden24");
        HeadsWriter.write(heads(other, 2, 1, 5), dir, "other", DType.F32);
        Path config = dir.resolve("config.json");
        loadFails(dir, BASE, "hidden_size", "24", "32", config.toString());

        // Without the declaration in config.json the tensor shapes give it away.
        editConfig(dir, c -> c.remove("hidden_size"));
        loadFails(dir, BASE, "0.0.linear.weight", "[24, 24]", "[32, 32]", "hidden size");
    }

    @Test
    void headsOfAModelWithAnotherVocabulary() throws IOException {
        ModelConfig other = TinyModels.config(Architecture.LLAMA, 32, 4, 2, 2, 50, 128, 0);
        Path dir = tmp.resolve("vocab50");
        HeadsWriter.write(heads(other, 2, 1, 5), dir, "other", DType.F16);
        loadFails(dir, BASE, "vocab_size", "50", "61", dir.resolve("config.json").toString());

        editConfig(dir, c -> c.remove("vocab_size"));
        loadFails(dir, BASE, "0.1.weight", "[50, 32]", "[61, 32]", "vocabulary");
    }

    @Test
    void missingTensor() throws IOException {
        MedusaHeads h = heads(BASE, 2, 1, 9);
        Path dir = tmp.resolve("more-heads-declared");
        HeadsWriter.write(h, dir, "base", DType.F32);
        editConfig(dir, c -> c.put("medusa_num_heads", 3));
        loadFails(dir, BASE, "2.0.linear.weight", dir.resolve(HeadsLoader.WEIGHTS_FILE).toString());

        Path vllm = writeVllm(h, "vllm-more-layers", DType.F32);
        editConfig(vllm, c -> c.put("medusa_num_layers", 2));
        loadFails(vllm, BASE, "blocks.0.layers.1.weight", vllm.resolve("model.safetensors").toString());

        // Counts no file could hold are refused from the tensors, before anything is sized by them.
        editConfig(dir, c -> c.put("medusa_num_heads", 2_000_000_000));
        loadFails(dir, BASE, "2000000000 heads", "'1999999999.0.linear.weight'");
        editConfig(dir, c -> c.put("medusa_num_heads", 2).put("medusa_num_layers", 400_000_000));
        loadFails(dir, BASE, "400000000 layers", "'0.399999999.linear.weight'");
        editConfig(dir, c -> c.put("medusa_num_layers", 0).put(HeadsLoader.SHARED_PROJECTION, true));
        loadFails(dir, BASE, "no weights of their own");

        Path noWeights = tmp.resolve("no-weights");
        HeadsWriter.write(h, noWeights, "base", DType.F32);
        Files.delete(noWeights.resolve(HeadsLoader.WEIGHTS_FILE));
        loadFails(noWeights, BASE, noWeights.toString(), HeadsLoader.WEIGHTS_FILE);
    }

    @Test
    void missingConfigOrHeadCount() throws IOException {
        Path dir = tmp.resolve("no-config");
        HeadsWriter.write(heads(BASE, 2, 1, 9), dir, "base", DType.F32);
        Files.delete(dir.resolve("config.json"));
        loadFails(dir, BASE, dir.toString(), "config.json");

        Path noCount = tmp.resolve("no-count");
        HeadsWriter.write(heads(BASE, 2, 1, 9), noCount, "base", DType.F32);
        editConfig(noCount, c -> c.remove("medusa_num_heads"));
        loadFails(noCount, BASE, "medusa_num_heads", noCount.resolve("config.json").toString());
        editConfig(noCount, c -> c.put("medusa_num_heads", 0));
        loadFails(noCount, BASE, "medusa_num_heads");

        // Read leniently, these would load 2 of the file's heads, or heads of hidden size 32 (2^32 + 32 as an int).
        for (String count : new String[] {"2.5", "\"2\"", "true", "null", "4294967298"}) {
            Files.writeString(noCount.resolve("config.json"), "{\"medusa_num_heads\": " + count + "}");
            loadFails(noCount, BASE, "medusa_num_heads", count, noCount.resolve("config.json").toString());
            Files.writeString(noCount.resolve("config.json"), "{\"medusa_num_heads\": 2, \"medusa_num_layers\": "
                    + count + "}");
            loadFails(noCount, BASE, "medusa_num_layers", count);
        }
        Files.writeString(noCount.resolve("config.json"), "{\"medusa_num_heads\": 2, \"hidden_size\": 4294967328}");
        loadFails(noCount, BASE, "hidden_size", "4294967328");

        Files.writeString(noCount.resolve("config.json"), "{\"medusa_num_heads\": 2,");
        loadFails(noCount, BASE, noCount.resolve("config.json").toString(), "JSON");
    }
}
