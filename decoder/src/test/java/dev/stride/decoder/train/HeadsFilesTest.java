package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.mtp.HeadsLoader;
import dev.stride.decoder.mtp.HeadsWriter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trained heads saved in the FasterDecoding layout load back as the same heads, and only for a matching model. */
class HeadsFilesTest {

    private static final ModelConfig CONFIG = TinyModels.llama();

    @Test
    void savedHeadsLoadBackWithTheSameWeightsAndLogits(@TempDir Path dir) {
        HeadModel trained = TrainingFixtures.randomHeads(CONFIG, 3, 2, 5);
        MedusaHeads heads = trained.toMedusaHeads("trained");
        HeadsWriter.write(heads, dir, "tiny", DType.F32);
        HeadsLoader.Loaded loaded = HeadsLoader.load(dir, CONFIG);
        MedusaHeads held = TinyModels.heldForDrafting(heads); // a cache-sized model's heads draft in 8 bits
        try (ComputePool pool = new ComputePool(2)) {
            MedusaHeads back = loaded.heads();
            assertEquals(3, back.numHeads());
            assertEquals(2, back.numLayers());
            VectorOps ops = new VectorOps(pool);
            int n = 5;
            float[] hidden = TinyModels.randomFloats(new Random(1), n * CONFIG.hiddenSize());
            for (int k = 0; k < 3; k++) {
                for (int l = 0; l < 2; l++) {
                    assertSameValues(held.blocks()[k][l], back.blocks()[k][l], "head " + k + " block " + l);
                    assertArrayEquals(heads.biases()[k][l], back.biases()[k][l], "head " + k + " bias " + l);
                }
                assertSameValues(held.projections()[k], back.projections()[k], "head " + k + " projection");
            }
            // Heap float32 and BF16 panels of the same values run the same multiply-adds: the same bits.
            float[][] expected = logits(ops, held, hidden, n);
            float[][] actual = logits(ops, back, hidden, n);
            for (int k = 0; k < 3; k++) {
                assertArrayEquals(expected[k], actual[k], "head " + k);
            }
        } finally {
            loaded.store().close();
        }
    }

    private static void assertSameValues(WeightMatrix expected, WeightMatrix actual, String what) {
        assertEquals(expected.rows(), actual.rows(), what);
        assertEquals(expected.cols(), actual.cols(), what);
        for (int r = 0; r < expected.rows(); r++) {
            for (int c = 0; c < expected.cols(); c++) {
                assertEquals(Float.floatToRawIntBits(expected.get(r, c)), Float.floatToRawIntBits(actual.get(r, c)),
                        what + " (" + r + ", " + c + ")");
            }
        }
    }

    private static float[][] logits(VectorOps ops, MedusaHeads heads, float[] hidden, int n) {
        float[][] logits = new float[heads.numHeads()][n * heads.vocabSize()];
        for (int k = 0; k < heads.numHeads(); k++) {
            heads.forwardHead(ops, k, hidden, new int[n], n, heads.newScratch(n), logits[k]);
        }
        return logits;
    }

    @Test
    void sharedProjectionHeadsSaveOnlyTheirBlocksAndProjectWithTheBaseLmHead(@TempDir Path dir) throws Exception {
        ModelWeights base = TinyModels.weights(CONFIG, 3);
        HeadModel trained = TrainingFixtures.randomHeads(CONFIG, 3, 2, true, 5);
        MedusaHeads heads = trained.toMedusaHeads("shared");
        assertTrue(heads.sharedProjection());
        HeadsWriter.write(heads, dir, "tiny", DType.F32);
        assertTrue(new ObjectMapper().readTree(dir.resolve("config.json").toFile())
                .path(HeadsLoader.SHARED_PROJECTION).asBoolean(), "config says so");
        try (TensorStore store = TensorStore.openFile(dir.resolve(HeadsLoader.WEIGHTS_FILE))) {
            assertEquals(3 * 2 * 2, store.names().size(), "blocks and biases only: " + store.names());
        }
        IllegalArgumentException withoutBase = assertThrows(IllegalArgumentException.class,
                () -> HeadsLoader.load(dir, CONFIG));
        assertTrue(withoutBase.getMessage().contains("base model's weights"), withoutBase.getMessage());
        HeadsLoader.Loaded loaded = HeadsLoader.load(dir, CONFIG, base);
        try (ComputePool pool = new ComputePool(2)) {
            MedusaHeads back = loaded.heads();
            assertTrue(back.sharedProjection());
            for (int k = 0; k < 3; k++) {
                assertSame(base.lmHead(), back.projections()[k], "head " + k);
            }
            VectorOps ops = new VectorOps(pool);
            int n = 5;
            float[] hidden = TinyModels.randomFloats(new Random(1), n * CONFIG.hiddenSize());
            float[][] perHead = logits(ops, back, hidden, n);
            // All levels projected as rows of one matmul: every row's logits are the per-head ones, bit for bit.
            for (int levels = 1; levels <= 3; levels++) {
                float[][] batched = new float[levels][];
                back.forward(ops, levels, hidden, new int[n], n, back.newScratch(n), (k, logits, offset) ->
                        batched[k] = Arrays.copyOfRange(logits, offset, offset + n * CONFIG.vocabSize()));
                for (int k = 0; k < levels; k++) {
                    assertArrayEquals(perHead[k], batched[k], levels + " levels, head " + k);
                }
            }
        } finally {
            loaded.store().close();
        }
    }

    @Test
    void aProjectionMissingOrDeclaredSharedButPresentIsNamed(@TempDir Path dir) throws Exception {
        ModelWeights base = TinyModels.weights(CONFIG, 3);
        Path shared = dir.resolve("shared");
        HeadsWriter.write(TrainingFixtures.randomHeads(CONFIG, 2, 1, true, 1).toMedusaHeads("h"), shared, "tiny",
                DType.F32);
        Path configFile = shared.resolve("config.json");
        Files.writeString(configFile, Files.readString(configFile).replace("\"shared_projection\" : true",
                "\"shared_projection\" : false"));
        ModelException missing = assertThrows(ModelException.class, () -> HeadsLoader.load(shared, CONFIG));
        assertTrue(missing.getMessage().contains("'0.1.weight'") && missing.getMessage().contains("shared_projection"),
                missing.getMessage());
        Path own = dir.resolve("own");
        HeadsWriter.write(TrainingFixtures.randomHeads(CONFIG, 2, 1, 1).toMedusaHeads("h"), own, "tiny", DType.F32);
        Path ownConfig = own.resolve("config.json");
        Files.writeString(ownConfig, Files.readString(ownConfig).replace("}", ", \"shared_projection\" : true }"));
        ModelException both = assertThrows(ModelException.class, () -> HeadsLoader.load(own, CONFIG, base));
        assertTrue(both.getMessage().contains("projection of its own"), both.getMessage());
    }

    @Test
    void headsForAnotherHiddenSizeOrVocabularyAreRejectedNamingTheFile(@TempDir Path dir) {
        HeadsWriter.write(TrainingFixtures.randomHeads(CONFIG, 2, 1, 1).toMedusaHeads("h"), dir, "tiny", DType.F16);
        ModelConfig wider = TinyModels.config(Architecture.LLAMA, 48, 4, 2, 2, CONFIG.vocabSize(), 128, 0);
        ModelConfig moreWords = TinyModels.config(Architecture.LLAMA, 32, 4, 2, 2, CONFIG.vocabSize() + 3, 128, 0);
        ModelException hidden = assertThrows(ModelException.class, () -> HeadsLoader.load(dir, wider));
        assertTrue(hidden.getMessage().contains(dir.toString()) && hidden.getMessage().contains("hidden_size"),
                hidden.getMessage());
        ModelException vocab = assertThrows(ModelException.class, () -> HeadsLoader.load(dir, moreWords));
        assertTrue(vocab.getMessage().contains(dir.toString()) && vocab.getMessage().contains("vocab_size"),
                vocab.getMessage());
    }

    /**
     * Heads with token input save their input matrices and say so in config.json; loaded beside the base model they
     * read its embedding and give the trained heads' logits for every next token, bit for bit.
     */
    @Test
    void tokenInputHeadsSaveTheirInputMatricesAndReadTheBaseEmbedding(@TempDir Path dir) throws Exception {
        ModelWeights base = TinyModels.weights(CONFIG, 3);
        HeadModel trained = TrainingFixtures.randomHeads(CONFIG, 3, 2, false, base.embedding(), 5);
        MedusaHeads heads = trained.toMedusaHeads("token-input");
        HeadsWriter.write(heads, dir, "tiny", DType.F32);
        assertTrue(new ObjectMapper().readTree(dir.resolve("config.json").toFile())
                .path(HeadsLoader.TOKEN_INPUT).asBoolean(), "config says so");
        IllegalArgumentException withoutBase = assertThrows(IllegalArgumentException.class,
                () -> HeadsLoader.load(dir, CONFIG));
        assertTrue(withoutBase.getMessage().contains("token input"), withoutBase.getMessage());
        HeadsLoader.Loaded loaded = HeadsLoader.load(dir, CONFIG, base);
        MedusaHeads held = TinyModels.heldForDrafting(heads);
        try (ComputePool pool = new ComputePool(2)) {
            MedusaHeads back = loaded.heads();
            assertSame(base.embedding(), back.tokenInput().embedding());
            VectorOps ops = new VectorOps(pool);
            int n = 4;
            float[] hidden = TinyModels.randomFloats(new Random(2), n * CONFIG.hiddenSize());
            for (int k = 0; k < 3; k++) {
                assertSameValues(held.tokenInput().matrices()[k], back.tokenInput().matrices()[k], "head " + k);
                for (int[] next : new int[][] {{0, 1, 2, 3}, {7, 7, 5, CONFIG.vocabSize() - 1}}) {
                    float[] expected = new float[n * CONFIG.vocabSize()];
                    float[] actual = new float[n * CONFIG.vocabSize()];
                    held.forwardHead(ops, k, hidden, next, n, held.newScratch(n), expected);
                    back.forwardHead(ops, k, hidden, next, n, back.newScratch(n), actual);
                    assertArrayEquals(expected, actual, "head " + k + ", next tokens " + Arrays.toString(next));
                }
            }
        } finally {
            loaded.store().close();
        }
    }

    /** A config that says token input over a file without its matrices, or the reverse, is named, not guessed. */
    @Test
    void tokenInputDeclaredButMissingOrPresentButUndeclaredIsNamed(@TempDir Path dir) throws Exception {
        ModelWeights base = TinyModels.weights(CONFIG, 3);
        Path declared = dir.resolve("declared");
        HeadsWriter.write(TrainingFixtures.randomHeads(CONFIG, 2, 1, 1).toMedusaHeads("h"), declared, "tiny",
                DType.F32);
        Path declaredConfig = declared.resolve("config.json");
        Files.writeString(declaredConfig, Files.readString(declaredConfig).replace("}", ", \"token_input\" : true }"));
        ModelException missing = assertThrows(ModelException.class, () -> HeadsLoader.load(declared, CONFIG, base));
        assertTrue(missing.getMessage().contains("'0.token_input.weight'"), missing.getMessage());
        Path undeclared = dir.resolve("undeclared");
        HeadsWriter.write(TrainingFixtures.randomHeads(CONFIG, 2, 1, false, base.embedding(), 1).toMedusaHeads("h"),
                undeclared, "tiny", DType.F32);
        Path undeclaredConfig = undeclared.resolve("config.json");
        Files.writeString(undeclaredConfig, Files.readString(undeclaredConfig).replace("\"token_input\" : true",
                "\"token_input\" : false"));
        ModelException extra = assertThrows(ModelException.class, () -> HeadsLoader.load(undeclared, CONFIG, base));
        assertTrue(extra.getMessage().contains("'0.token_input.weight'") && extra.getMessage().contains("token_input"),
                extra.getMessage());
    }
}
