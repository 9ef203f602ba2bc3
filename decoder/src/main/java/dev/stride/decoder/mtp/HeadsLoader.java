package dev.stride.decoder.mtp;

import static dev.stride.decoder.model.ConfigValues.integer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.TensorInfo;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.tensor.WeightLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Reads prediction heads in the FasterDecoding Medusa layout ({@code config.json} + {@code medusa_lm_head.safetensors}
 * with {@code {head}.{layer}.linear.weight|bias} and {@code {head}.{layers}.weight}) or the vLLM naming
 * ({@code blocks.{i}.layers.{j}.weight|bias}, {@code lm_heads.{i}.weight}), checked against the base model. Heads
 * whose config says {@code "shared_projection": true} carry no projections: they use the base model's lm_head;
 * heads whose config says {@code "token_input": true} carry {@code {head}.token_input.weight} and read the base
 * model's embedding (see {@link MedusaHeads}). A {@link DraftVocabulary#FILE} beside them restricts their
 * projections to its tokens.
 */
public final class HeadsLoader {

    private static final Logger LOG = Logger.getLogger(HeadsLoader.class.getName());

    public static final String WEIGHTS_FILE = "medusa_lm_head.safetensors";
    /** Config key of heads that project with the base model's lm_head. */
    public static final String SHARED_PROJECTION = "shared_projection";
    /** Config key of heads that also read the token after the hidden state's position. */
    public static final String TOKEN_INPUT = "token_input";

    private HeadsLoader() {
    }

    /** The heads plus the store that backs them; close the store when the heads are no longer used. */
    public record Loaded(MedusaHeads heads, TensorStore store, String baseModel) {
    }

    /** Heads with projections of their own and no token input. */
    public static Loaded load(Path dir, ModelConfig base) {
        return load(dir, base, null, null);
    }

    /** Heads of the base model {@code weights}, held as the files store them. */
    public static Loaded load(Path dir, ModelConfig base, ModelWeights weights) {
        return load(dir, base, weights, null);
    }

    /**
     * @param baseWeights the base model's weights: heads with a shared projection use its lm_head, heads with token
     *     input its embedding; null where neither is needed
     * @param weightsChoice how to hold the head matrices (see {@link WeightLayout#choose(TensorStore, String)}), e.g.
     *     {@code q8}; null for the default
     */
    public static Loaded load(Path dir, ModelConfig base, ModelWeights baseWeights, String weightsChoice) {
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new ModelException(dir + ": not a heads directory (no config.json)");
        }
        JsonNode config;
        try {
            config = new ObjectMapper().readTree(configFile.toFile());
        } catch (IOException e) {
            throw new ModelException(configFile + ": not valid JSON: " + e.getMessage(), e);
        }
        int heads = positiveInt(config, "medusa_num_heads", configFile);
        int layers = config.has("medusa_num_layers") ? integer(config, "medusa_num_layers", configFile.toString()) : 1;
        if (layers < 0) {
            throw new ModelException(configFile + ": medusa_num_layers must be >= 0, got " + config.get("medusa_num_layers"));
        }
        boolean shared = config.path(SHARED_PROJECTION).asBoolean(false);
        if (layers == 0 && shared) {
            throw new ModelException(configFile + ": heads with no layers that share the model's projection have no "
                    + "weights of their own (medusa_num_layers is 0 and " + SHARED_PROJECTION + " is true)");
        }
        boolean tokenInput = config.path(TOKEN_INPUT).asBoolean(false);
        if (layers == 0 && tokenInput) {
            throw new ModelException(configFile + ": heads with token input read it in their first residual layer,"
                    + " but medusa_num_layers is 0");
        }
        if ((shared || tokenInput) && baseWeights == null) {
            throw new IllegalArgumentException(configFile + ": heads with a shared projection or token input need the"
                    + " base model's weights");
        }
        checkDeclared(config, "hidden_size", base.hiddenSize(), configFile);
        checkDeclared(config, "vocab_size", base.vocabSize(), configFile);
        Path weights = Files.isRegularFile(dir.resolve(WEIGHTS_FILE)) ? dir.resolve(WEIGHTS_FILE)
                : dir.resolve("model.safetensors");
        if (!Files.isRegularFile(weights)) {
            throw new ModelException(dir + ": no " + WEIGHTS_FILE + " (or model.safetensors) with the head weights");
        }
        TensorStore store = TensorStore.openFile(weights);
        try {
            boolean vllm = store.contains("blocks.0.layers.0.weight") || store.contains("lm_heads.0.weight");
            requireLastHead(store, heads, layers, vllm, configFile, weights);
            WeightLayout layout = WeightLayout.choose(store, weightsChoice);
            DraftVocabulary vocabulary = DraftVocabulary.read(dir, base.vocabSize());
            WeightMatrix[][] blocks = new WeightMatrix[heads][layers];
            float[][][] biases = new float[heads][layers][];
            WeightMatrix[] projections = new WeightMatrix[heads];
            WeightMatrix[] inputs = new WeightMatrix[heads];
            int h = base.hiddenSize();
            for (int k = 0; k < heads; k++) {
                for (int l = 0; l < layers; l++) {
                    String prefix = vllm ? "blocks." + k + ".layers." + l + "." : k + "." + l + ".linear.";
                    blocks[k][l] = ModelLoader.held(layout::holdDraft, stored(store, prefix + "weight", h, h, weights),
                            weights + ": head tensor '" + prefix + "weight'");
                    biases[k][l] = vector(store, prefix + "bias", h, weights);
                }
                String input = k + "." + MedusaHeads.TOKEN_INPUT;
                if (tokenInput != store.contains(input)) {
                    throw new ModelException(configFile + (tokenInput ? ": heads declare " + TOKEN_INPUT + " but "
                            + weights + " has no tensor '" + input + "'" : ": " + weights + " carries '" + input
                            + "' but the heads do not declare \"" + TOKEN_INPUT + "\": true"));
                }
                if (tokenInput) {
                    inputs[k] = ModelLoader.held(layout::holdDraft, stored(store, input, h, h, weights),
                            weights + ": head tensor '" + input + "'");
                }
                String projection = vllm ? "lm_heads." + k + ".weight" : k + "." + layers + ".weight";
                if (shared && store.contains(projection)) {
                    throw new ModelException(configFile + ": heads declare " + SHARED_PROJECTION + " but " + weights
                            + " carries a projection of its own, '" + projection + "'");
                }
                if (!shared && !store.contains(projection)) {
                    throw new ModelException(weights + ": missing head tensor '" + projection + "' (heads that"
                            + " project with the base model's lm_head say \"" + SHARED_PROJECTION + "\": true in"
                            + " config.json)");
                }
                // With a draft vocabulary only its rows are held (below), never the whole projection first.
                projections[k] = shared ? baseWeights.lmHead()
                        : stored(store, projection, base.vocabSize(), h, weights);
                if (!shared && vocabulary == null) {
                    projections[k] = ModelLoader.held(layout::holdDraft, projections[k],
                            weights + ": head tensor '" + projection + "'");
                }
            }
            String name = dir.toAbsolutePath().normalize().getFileName().toString();
            MedusaHeads loaded = new MedusaHeads(name, blocks, biases, projections, shared,
                    tokenInput ? new MedusaHeads.TokenInput(inputs, baseWeights.embedding()) : null);
            if (vocabulary != null) {
                loaded = loaded.restrictedTo(vocabulary, m -> ModelLoader.held(layout::holdDraft, m, weights
                        + ": a head projection's rows of " + DraftVocabulary.FILE + " (row = position in the list)"));
                LOG.info(String.format("heads: propose from %d of %d tokens (%s)", vocabulary.size(),
                        base.vocabSize(), dir.resolve(DraftVocabulary.FILE)));
            }
            return new Loaded(loaded, store, config.path("base_model_name_or_path").asText(""));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * The declared counts against the file before anything is sized by them: a corrupt or hand-edited config.json
     * (two billion heads) would otherwise end in an OutOfMemoryError rather than a message.
     */
    private static void requireLastHead(TensorStore store, int heads, int layers, boolean vllm, Path configFile,
                                        Path weights) {
        for (int k : new int[] {0, heads - 1}) {
            String last = layers > 0 ? (vllm ? "blocks." + k + ".layers." + (layers - 1) : k + "." + (layers - 1)
                    + ".linear") + ".weight" : (vllm ? "lm_heads." + k : k + "." + layers) + ".weight";
            if (!store.contains(last)) {
                throw new ModelException(configFile + " declares " + heads + " heads of " + layers + " layers, but "
                        + weights + " has no tensor '" + last + "'");
            }
        }
    }

    /** A head matrix as the file stores it, its shape checked. */
    private static WeightMatrix stored(TensorStore store, String name, int rows, int cols, Path file) {
        TensorInfo info = headTensor(store, name, file, rows, cols);
        return MappedMatrix.of(info.dtype(), store.data(name), rows, cols);
    }

    private static float[] vector(TensorStore store, String name, int length, Path file) {
        headTensor(store, name, file, length);
        return store.readFloats(name);
    }

    /** Like {@link TensorStore#require} but phrased for heads: a wrong shape usually means heads of another model. */
    private static TensorInfo headTensor(TensorStore store, String name, Path file, long... shape) {
        if (!store.contains(name)) {
            throw new ModelException(file + ": missing head tensor '" + name + "'");
        }
        TensorInfo info = store.info(name);
        if (!java.util.Arrays.equals(info.shape(), shape)) {
            throw new ModelException(file + ": head tensor '" + name + "' has shape " + info.shapeString()
                    + " but the base model needs " + java.util.Arrays.toString(shape)
                    + " (heads trained for a model with another hidden size or vocabulary?)");
        }
        return info;
    }

    private static int positiveInt(JsonNode config, String key, Path file) {
        if (!config.has(key) || integer(config, key, file.toString()) <= 0) {
            throw new ModelException(file + ": '" + key + "' must be a positive integer, got " + config.get(key));
        }
        return config.get(key).intValue();
    }

    private static void checkDeclared(JsonNode config, String key, int expected, Path file) {
        if (config.hasNonNull(key) && integer(config, key, file.toString()) != expected) {
            throw new ModelException(file + ": heads declare " + key + " " + config.get(key).intValue()
                    + " but the base model has " + expected);
        }
    }
}
