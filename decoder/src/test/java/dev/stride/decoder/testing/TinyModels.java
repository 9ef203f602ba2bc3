package dev.stride.decoder.testing;

import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.LayerWeights;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.StackedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.util.Random;

/** Random-weight models and heads, small enough to decode in milliseconds. */
public final class TinyModels {

    private TinyModels() {
    }

    public static ModelConfig config(Architecture arch, int hidden, int heads, int kvHeads, int layers, int vocab,
                                     int context, int slidingWindow) {
        return new ModelConfig(arch, hidden, 2 * hidden + 8, layers, heads, kvHeads, hidden / heads, vocab, 1e-5f,
                10000.0, RopeScaling.NONE, context, arch != Architecture.MISTRAL, arch.qkvBias(), slidingWindow);
    }

    /** A Llama with grouped-query attention. */
    public static ModelConfig llama() {
        return config(Architecture.LLAMA, 32, 4, 2, 2, 61, 128, 0);
    }

    /**
     * Random weights. The scale makes logits spread enough that greedy choices are not near-ties everywhere and
     * untrained heads still sometimes guess right.
     */
    public static ModelWeights weights(ModelConfig c, long seed) {
        Random random = new Random(seed);
        WeightMatrix embedding = matrix(random, c.vocabSize(), c.hiddenSize(), 0.5f);
        LayerWeights[] layers = new LayerWeights[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            float[] bias = null;
            if (c.qkvBias()) {
                bias = vector(random, c.qDim() + 2 * c.kvDim(), 0f, 0.1f);
            }
            layers[i] = new LayerWeights(vector(random, c.hiddenSize(), 1f, 0.1f),
                    new StackedMatrix(matrix(random, c.qDim(), c.hiddenSize(), 0.3f),
                            matrix(random, c.kvDim(), c.hiddenSize(), 0.3f),
                            matrix(random, c.kvDim(), c.hiddenSize(), 0.3f)),
                    bias,
                    matrix(random, c.hiddenSize(), c.qDim(), 0.2f),
                    vector(random, c.hiddenSize(), 1f, 0.1f),
                    new StackedMatrix(matrix(random, c.intermediateSize(), c.hiddenSize(), 0.2f),
                            matrix(random, c.intermediateSize(), c.hiddenSize(), 0.2f)),
                    matrix(random, c.hiddenSize(), c.intermediateSize(), 0.2f));
        }
        WeightMatrix lmHead = c.tiedEmbeddings() ? embedding : matrix(random, c.vocabSize(), c.hiddenSize(), 0.5f);
        return new ModelWeights(embedding, layers, vector(random, c.hiddenSize(), 1f, 0.1f), lmHead, DType.F32);
    }

    /** Untrained heads: random blocks, projections copied from the model's lm_head plus noise. */
    public static MedusaHeads heads(ModelConfig c, ModelWeights w, int heads, int layers, long seed) {
        Random random = new Random(seed);
        WeightMatrix[][] blocks = new WeightMatrix[heads][layers];
        float[][][] biases = new float[heads][layers][];
        WeightMatrix[] projections = new WeightMatrix[heads];
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                blocks[k][l] = matrix(random, c.hiddenSize(), c.hiddenSize(), 0.1f);
                biases[k][l] = vector(random, c.hiddenSize(), 0f, 0.05f);
            }
            float[] p = new float[c.vocabSize() * c.hiddenSize()];
            float[] row = new float[c.hiddenSize()];
            for (int v = 0; v < c.vocabSize(); v++) {
                w.lmHead().loadRow(v, row);
                for (int i = 0; i < row.length; i++) {
                    p[v * row.length + i] = row[i] + 0.3f * (float) random.nextGaussian();
                }
            }
            projections[k] = new ArrayMatrix(p, c.vocabSize(), c.hiddenSize());
        }
        return new MedusaHeads("random-heads", blocks, biases, projections);
    }

    /**
     * The heads as a loader holds them beside a cache-sized model: every matrix quantized to 8 bits
     * ({@link dev.stride.decoder.tensor.WeightLayout#holdDraft}), biases as they are.
     */
    public static MedusaHeads heldForDrafting(MedusaHeads heads) {
        WeightMatrix[][] blocks = new WeightMatrix[heads.numHeads()][heads.numLayers()];
        WeightMatrix[] projections = new WeightMatrix[heads.numHeads()];
        for (int k = 0; k < heads.numHeads(); k++) {
            for (int l = 0; l < heads.numLayers(); l++) {
                blocks[k][l] = PackedQ8Matrix.quantize(heads.blocks()[k][l]);
            }
            projections[k] = PackedQ8Matrix.quantize(heads.projections()[k]);
        }
        MedusaHeads.TokenInput input = heads.tokenInput();
        if (input != null) {
            WeightMatrix[] matrices = new WeightMatrix[heads.numHeads()];
            for (int k = 0; k < matrices.length; k++) {
                matrices[k] = PackedQ8Matrix.quantize(input.matrices()[k]);
            }
            input = new MedusaHeads.TokenInput(matrices, input.embedding());
        }
        return new MedusaHeads(heads.name(), blocks, heads.biases(), projections, false, input);
    }

    /** Untrained heads with token input: random blocks and input matrices reading the model's embedding. */
    public static MedusaHeads tokenInputHeads(ModelConfig c, ModelWeights w, int heads, int layers, long seed) {
        MedusaHeads own = heads(c, w, heads, layers, seed);
        Random random = new Random(seed ^ 0x70CE);
        WeightMatrix[] inputs = new WeightMatrix[heads];
        for (int k = 0; k < heads; k++) {
            inputs[k] = matrix(random, c.hiddenSize(), c.hiddenSize(), 0.3f);
        }
        return new MedusaHeads("random-token-input-heads", own.blocks(), own.biases(), own.projections(), false,
                new MedusaHeads.TokenInput(inputs, w.embedding()));
    }

    /** Untrained heads with random blocks that all project with the model's own lm_head. */
    public static MedusaHeads sharedProjectionHeads(ModelConfig c, ModelWeights w, int heads, int layers, long seed) {
        MedusaHeads own = heads(c, w, heads, layers, seed);
        WeightMatrix[] projections = new WeightMatrix[heads];
        java.util.Arrays.fill(projections, w.lmHead());
        return new MedusaHeads("random-shared-heads", own.blocks(), own.biases(), projections, true);
    }

    public static ArrayMatrix matrix(Random random, int rows, int cols, float std) {
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return new ArrayMatrix(values, rows, cols);
    }

    public static float[] vector(Random random, int length, float mean, float std) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = mean + std * (float) random.nextGaussian();
        }
        return values;
    }

    public static float[] randomFloats(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
