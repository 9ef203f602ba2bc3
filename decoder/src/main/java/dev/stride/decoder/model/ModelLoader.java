package dev.stride.decoder.model;

import dev.stride.decoder.safetensors.TensorInfo;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.StackedMatrix;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.tensor.WeightMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/** Opens a Hugging Face model directory: config, then every tensor checked against the config's shapes. */
public final class ModelLoader {

    private static final Logger LOG = Logger.getLogger(ModelLoader.class.getName());

    private ModelLoader() {
    }

    public static Model load(Path modelDir) {
        return load(modelDir, null);
    }

    /** Loads with the weights held as {@code weightsChoice} asks ({@link WeightLayout#choose(TensorStore, String)}), e.g. {@code q8}; null for the default. */
    public static Model load(Path modelDir, String weightsChoice) {
        if (Files.isRegularFile(modelDir) && modelDir.getFileName().toString().endsWith(".gguf")) {
            throw new ModelException(modelDir + ": a GGUF file; import it as a model directory first: stride"
                    + " import-gguf " + modelDir + " --out DIR");
        }
        if (!Files.isDirectory(modelDir)) {
            throw new ModelException(modelDir + ": model directory does not exist");
        }
        ModelConfig config = ModelConfig.read(modelDir);
        TensorStore store = TensorStore.openDirectory(modelDir);
        try {
            WeightLayout layout = WeightLayout.choose(store, weightsChoice);
            long start = System.nanoTime();
            ModelWeights weights = weights(config, store, layout);
            LOG.info(String.format("weights: %s (%.1f MB per pass, held in %.1f s)", layout.describe(),
                    weights.bytesPerPass() / 1e6, (System.nanoTime() - start) / 1e9));
            return new Model(modelDir, config, weights, store, layout);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** The weights of {@code store} held in the given layout (tools and tests that compare layouts). */
    public static ModelWeights weights(ModelConfig c, TensorStore store, WeightLayout layout) {
        boolean tied = c.tiedEmbeddings() && !store.contains("lm_head.weight");
        WeightMatrix storedEmbedding = matrix(store, "model.embed_tokens.weight", c.vocabSize(), c.hiddenSize());
        // Only an embedding that is also the lm_head gets multiplied; lookups read one row from the mapped file,
        // or from the tied head when that holds the stored values.
        WeightMatrix tiedHead = tied
                ? held(layout::holdHead, storedEmbedding, where(store, "model.embed_tokens.weight")) : null;
        WeightMatrix embedding = tied && !layout.quantizesHead() ? tiedHead : storedEmbedding;
        LayerWeights[] layers = new LayerWeights[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "model.layers." + i + ".";
            String[] qkvNames = {
                p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"};
            String[] gateUpNames = {p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"};
            WeightMatrix q = matrix(store, qkvNames[0], c.qDim(), c.hiddenSize());
            WeightMatrix k = matrix(store, qkvNames[1], c.kvDim(), c.hiddenSize());
            WeightMatrix v = matrix(store, qkvNames[2], c.kvDim(), c.hiddenSize());
            float[] bias = null;
            if (c.qkvBias()) {
                bias = new float[c.qDim() + 2 * c.kvDim()];
                vector(store, p + "self_attn.q_proj.bias", c.qDim(), bias, 0);
                vector(store, p + "self_attn.k_proj.bias", c.kvDim(), bias, c.qDim());
                vector(store, p + "self_attn.v_proj.bias", c.kvDim(), bias, c.qDim() + c.kvDim());
            }
            layers[i] = new LayerWeights(
                    vector(store, p + "input_layernorm.weight", c.hiddenSize()),
                    held(layout::hold, new StackedMatrix(q, k, v), where(store, qkvNames)), bias,
                    held(layout::hold, store, p + "self_attn.o_proj.weight", c.hiddenSize(), c.qDim()),
                    vector(store, p + "post_attention_layernorm.weight", c.hiddenSize()),
                    held(layout::hold, new StackedMatrix(
                            matrix(store, gateUpNames[0], c.intermediateSize(), c.hiddenSize()),
                            matrix(store, gateUpNames[1], c.intermediateSize(), c.hiddenSize())),
                            where(store, gateUpNames)),
                    held(layout::hold, store, p + "mlp.down_proj.weight", c.hiddenSize(), c.intermediateSize()));
        }
        WeightMatrix lmHead = tied ? tiedHead
                : held(layout::holdHead, store, "lm_head.weight", c.vocabSize(), c.hiddenSize());
        return new ModelWeights(embedding, layers, vector(store, "model.norm.weight", c.hiddenSize()), lmHead,
                store.info("model.embed_tokens.weight").dtype());
    }

    /**
     * {@code m} as {@code hold} makes it, naming {@code where} it came from when its weights cannot be held so (q8
     * refuses a weight that is not finite). Model and heads loaders alike.
     */
    public static WeightMatrix held(UnaryOperator<WeightMatrix> hold, WeightMatrix m, String where) {
        try {
            return hold.apply(m);
        } catch (IllegalArgumentException e) {
            throw new ModelException(where + ": " + e.getMessage(), e);
        }
    }

    /** Tensor {@code name} of {@code store} as {@code hold} makes it. */
    private static WeightMatrix held(UnaryOperator<WeightMatrix> hold, TensorStore store, String name, int rows,
                                     int cols) {
        return held(hold, matrix(store, name, rows, cols), where(store, name));
    }

    /** The file and names of tensors, stacked in that order when several (their rows then count on). */
    private static String where(TensorStore store, String... tensors) {
        String stacked = tensors.length > 1 ? " (stacked in that order: rows count on from the first)" : "";
        return store.info(tensors[0]).file() + ", tensor '" + String.join("', '", tensors) + "'" + stacked;
    }

    private static WeightMatrix matrix(TensorStore store, String name, int rows, int cols) {
        TensorInfo info = store.require(name, rows, cols);
        return MappedMatrix.of(info.dtype(), store.data(name), rows, cols);
    }

    private static float[] vector(TensorStore store, String name, int length) {
        float[] values = new float[length];
        vector(store, name, length, values, 0);
        return values;
    }

    private static void vector(TensorStore store, String name, int length, float[] dst, int offset) {
        store.require(name, length);
        System.arraycopy(store.readFloats(name), 0, dst, offset, length);
    }

    /** Parameter count over the config's shapes, counting a tied embedding once. */
    public static long parameterCount(ModelConfig c) {
        long perLayer = (long) c.hiddenSize() * (c.qDim() + 2L * c.kvDim()) + (long) c.qDim() * c.hiddenSize()
                + 3L * c.hiddenSize() * c.intermediateSize() + 2L * c.hiddenSize()
                + (c.qkvBias() ? c.qDim() + 2L * c.kvDim() : 0);
        long embeddings = (long) c.vocabSize() * c.hiddenSize() * (c.tiedEmbeddings() ? 1 : 2);
        return perLayer * c.numLayers() + embeddings + c.hiddenSize();
    }

}
