package dev.stride.decoder.model;

import static dev.stride.decoder.model.ConfigValues.integer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}.
 *
 * @param slidingWindow attention window in positions (Mistral, Qwen2), or 0 for full attention: a query at position p
 *     sees keys at p - slidingWindow + 1 .. p, as transformers' sliding window mask
 */
public record ModelConfig(Architecture architecture, int hiddenSize, int intermediateSize, int numLayers,
                          int numHeads, int numKvHeads, int headDim, int vocabSize, float rmsNormEps,
                          double ropeTheta, RopeScaling ropeScaling, int maxPositions, boolean tiedEmbeddings,
                          boolean qkvBias, int slidingWindow) {

    /** How constructor errors name their source; {@link #parse} replaces it with the config file's path. */
    private static final String UNNAMED_SOURCE = "model config";

    public ModelConfig {
        String where = UNNAMED_SOURCE;
        positive(where, "hidden_size", hiddenSize);
        positive(where, "intermediate_size", intermediateSize);
        positive(where, "num_hidden_layers", numLayers);
        positive(where, "num_attention_heads", numHeads);
        positive(where, "num_key_value_heads", numKvHeads);
        positive(where, "head_dim", headDim);
        positive(where, "vocab_size", vocabSize);
        positive(where, "max_position_embeddings", maxPositions);
        if (numHeads % numKvHeads != 0) {
            throw new ModelException(where + ": num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        // qDim() and kvDim() are ints; numKvHeads divides numHeads, so the query width is the larger.
        if ((long) numHeads * headDim > Integer.MAX_VALUE) {
            throw new ModelException(where + ": num_attention_heads (" + numHeads + ") x head_dim (" + headDim
                    + ") is too large (at most " + Integer.MAX_VALUE + ")");
        }
        if (headDim % 2 != 0) {
            throw new ModelException(where + ": head_dim must be even for rotary embeddings, got " + headDim);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0) || Float.isInfinite(rmsNormEps) || Double.isInfinite(ropeTheta)) {
            throw new ModelException(where + ": rms_norm_eps and rope_theta must be finite and > 0, got " + rmsNormEps
                    + " and " + ropeTheta);
        }
        if (slidingWindow < 0) {
            throw new ModelException(where + ": sliding_window must be >= 0, got " + slidingWindow);
        }
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public int qDim() {
        return numHeads * headDim;
    }

    public static ModelConfig read(Path modelDir) {
        Path file = modelDir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new ModelException(modelDir + ": no config.json (is this a Hugging Face model directory?)");
        }
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return parse(json, file.toString());
    }

    static ModelConfig parse(JsonNode json, String where) {
        JsonNode architectures = json.path("architectures");
        if (!architectures.isArray() || architectures.isEmpty()) {
            throw new ModelException(where + ": 'architectures' must name the model class, e.g. [\"LlamaForCausalLM\"]");
        }
        Architecture arch = Architecture.fromHfName(architectures.get(0).asText(), where);
        int hidden = requiredInt(json, "hidden_size", where);
        int heads = requiredInt(json, "num_attention_heads", where);
        int headDim = json.hasNonNull("head_dim") ? integer(json, "head_dim", where) : hidden / Math.max(1, heads);
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelException(where + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        // Llama's attention_bias also gives o_proj a bias, and mlp_bias the MLP: terms the forward pass does not
        // have. Mistral and Qwen2 read neither key (Qwen2's q/k/v always carry biases, its o_proj never).
        if (arch == Architecture.LLAMA && json.path("attention_bias").asBoolean(false)) {
            throw new ModelException(where + ": attention_bias true (biases on q/k/v and o_proj) is not supported");
        }
        if (arch == Architecture.LLAMA && json.path("mlp_bias").asBoolean(false)) {
            throw new ModelException(where + ": mlp_bias true (biases on gate/up/down) is not supported");
        }
        int intermediate = requiredInt(json, "intermediate_size", where);
        int layers = requiredInt(json, "num_hidden_layers", where);
        int window = slidingWindow(json, arch, layers, where);
        int kvHeads = json.hasNonNull("num_key_value_heads") ? integer(json, "num_key_value_heads", where)
                : json.has("num_key_value_heads") ? heads : arch.defaultKvHeads(heads);
        int vocab = requiredInt(json, "vocab_size", where);
        JsonNode rope = ropeParameters(json, where);
        RopeScaling scaling = ropeScaling(rope == json ? json.path("rope_scaling") : rope, where);
        int maxPositions = json.hasNonNull("max_position_embeddings")
                ? integer(json, "max_position_embeddings", where) : arch.defaultMaxPositions();
        float eps = (float) positiveReal(json, "rms_norm_eps", "rms_norm_eps", 1e-6, where);
        double theta = positiveReal(rope, "rope_theta", "rope_theta", 10000.0, where);
        try {
            return new ModelConfig(arch, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, eps, theta,
                    scaling, maxPositions, json.path("tie_word_embeddings").asBoolean(false), arch.qkvBias(),
                    window);
        } catch (ModelException e) {
            // The constructor's checks do not know the file: name it, as every other config error does.
            throw new ModelException(where + e.getMessage().substring(UNNAMED_SOURCE.length()), e);
        }
    }

    /**
     * The attention window of every layer, as Hugging Face's configs define it (0: full attention). Llama has none.
     * Mistral's and Qwen2's sliding_window default to 4096 when absent (null: full attention). Qwen2 slides only with
     * use_sliding_window, and then the layers that layer_types names "sliding_attention" (one entry per layer), or
     * without layer_types those from max_window_layers (default 28) on: a window on some layers and not others is
     * refused.
     */
    private static int slidingWindow(JsonNode json, Architecture arch, int layers, String where) {
        switch (arch) {
            case MISTRAL:
                return window(json, where);
            case QWEN2: {
                // Qwen2Config drops sliding_window without use_sliding_window.
                int window = json.path("use_sliding_window").asBoolean(false) ? window(json, where) : 0;
                int sliding = 0;
                JsonNode types = json.path("layer_types");
                if (types.isArray()) {
                    if (types.size() != layers) {
                        throw new ModelException(where + ": layer_types names " + types.size() + " layers, but"
                                + " num_hidden_layers is " + layers);
                    }
                    for (JsonNode type : types) {
                        // Qwen2 masks only these two: transformers has no mask for another type's layers.
                        if (!type.asText().equals("full_attention") && !type.asText().equals("sliding_attention")) {
                            throw new ModelException(where + ": layer_types entry " + type + " is not supported"
                                    + " (Qwen2 layers are full_attention or sliding_attention)");
                        }
                        sliding += type.asText().equals("sliding_attention") ? 1 : 0;
                    }
                    if (sliding > 0 && window == 0) {
                        // transformers' sliding mask raises on these layers: there is no window to slide.
                        throw new ModelException(where + ": layer_types names sliding_attention layers, but there is"
                                + " no sliding_window (null, or use_sliding_window false)");
                    }
                } else if (window > 0) {
                    int first = json.hasNonNull("max_window_layers") ? integer(json, "max_window_layers", where) : 28;
                    sliding = layers - Math.min(layers, Math.max(0, first));
                }
                if (sliding != 0 && sliding != layers) {
                    throw new ModelException(where + ": a sliding window on " + sliding + " of " + layers + " layers"
                            + " (max_window_layers, layer_types) is not supported: only on all or none");
                }
                return sliding == 0 ? 0 : window;
            }
            default:
                return 0;
        }
    }

    /** sliding_window of Mistral and Qwen2: 4096 when absent, 0 (full attention) when null. */
    private static int window(JsonNode json, String where) {
        return !json.has("sliding_window") ? 4096
                : json.get("sliding_window").isNull() ? 0 : integer(json, "sliding_window", where);
    }

    /**
     * Where rope_theta and the scaling are: Transformers 5 writes them inside rope_parameters (with the scaling's
     * keys beside rope_theta), earlier versions at the top level. Partial rotary embeddings are refused.
     */
    private static JsonNode ropeParameters(JsonNode json, String where) {
        JsonNode rope = json.path("rope_parameters");
        for (JsonNode node : new JsonNode[] {json, rope}) {
            if (node.hasNonNull("partial_rotary_factor") && node.get("partial_rotary_factor").asDouble() != 1.0) {
                throw new ModelException(where + ": partial_rotary_factor " + node.get("partial_rotary_factor")
                        + " is not supported (rotary embeddings over the whole head)");
            }
        }
        if (!rope.isObject()) {
            return json;
        }
        if (json.hasNonNull("rope_theta") || json.hasNonNull("rope_scaling")) {
            throw new ModelException(where + ": rope_parameters beside rope_theta or rope_scaling: give one of them");
        }
        return rope;
    }

    private static RopeScaling ropeScaling(JsonNode node, String where) {
        if (node.isMissingNode() || node.isNull()) {
            return RopeScaling.NONE;
        }
        String type = node.path("rope_type").asText(node.path("type").asText("default"));
        // transformers lets an older config's "type" override "rope_type", other readers the reverse: two that
        // differ name no one scaling.
        JsonNode oldType = node.path("type");
        if (!oldType.isMissingNode() && node.has("rope_type") && !oldType.equals(node.get("rope_type"))) {
            throw new ModelException(where + ": rope_scaling type " + oldType + " and rope_type "
                    + node.get("rope_type") + " differ: give one of them");
        }
        switch (type) {
            case "default":
                return RopeScaling.NONE;
            case "linear":
                requireKeys(node, type, where, "factor");
                return new RopeScaling("linear", positiveReal(node, "factor", "rope_scaling.factor", Double.NaN,
                        where), 1, 1, 0);
            case "llama3": {
                requireKeys(node, type, where, "factor", "low_freq_factor", "high_freq_factor",
                        "original_max_position_embeddings");
                double factor = positiveReal(node, "factor", "rope_scaling.factor", Double.NaN, where);
                double low = realValue(node, "low_freq_factor", "rope_scaling.low_freq_factor", Double.NaN, where);
                double high = realValue(node, "high_freq_factor", "rope_scaling.high_freq_factor", Double.NaN, where);
                int original = integer(node, "original_max_position_embeddings", where);
                if (!(high > low) || original <= 0) {
                    throw new ModelException(where + ": rope_scaling llama3 needs high_freq_factor > "
                            + "low_freq_factor and original_max_position_embeddings > 0, got " + node);
                }
                return new RopeScaling("llama3", factor, low, high, original);
            }
            default:
                throw new ModelException(where + ": rope_scaling type '" + type
                        + "' is not supported (supported: linear, llama3)");
        }
    }

    /**
     * transformers raises on a rope scaling without the keys its type needs (_check_received_keys): none is made up
     * here either, so the values read after this have no absent case (NaN).
     */
    private static void requireKeys(JsonNode node, String type, String where, String... keys) {
        for (String key : keys) {
            if (!node.hasNonNull(key)) {
                throw new ModelException(where + ": rope_scaling type '" + type + "' is missing its required"
                        + " 'rope_scaling." + key + "'");
            }
        }
    }

    private static int requiredInt(JsonNode json, String key, String where) {
        if (!json.hasNonNull(key)) {
            throw new ModelException(where + ": missing '" + key + "'");
        }
        return integer(json, key, where);
    }

    /** A number under {@code key} in {@code json} ({@code absent} if missing or null), finite as a float. */
    private static double realValue(JsonNode json, String key, String name, double absent, String where) {
        JsonNode v = json.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isNumber()) {
            throw new ModelException(where + ": '" + name + "' must be a number, got " + v);
        }
        // rms_norm_eps is kept as a float, where 1e39 becomes infinity; no such field means anything that large.
        if (!Float.isFinite(v.floatValue())) {
            throw new ModelException(where + ": '" + name + "' must be finite as a float, got " + v);
        }
        return v.doubleValue();
    }

    /** As {@link #realValue}, and > 0 as a float. */
    private static double positiveReal(JsonNode json, String key, String name, double absent, String where) {
        double value = realValue(json, key, name, absent, where);
        if (!((float) value > 0)) {
            throw new ModelException(where + ": '" + name + "' must be > 0 as a float, got " + json.get(key));
        }
        return value;
    }

    private static void positive(String where, String key, int value) {
        if (value <= 0) {
            throw new ModelException(where + ": '" + key + "' must be > 0, got " + value);
        }
    }
}
