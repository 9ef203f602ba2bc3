package dev.stride.decoder.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shape of a decoder-only transformer, read from a Hugging Face {@code config.json}.
 *
 * @param slidingWindow attention window in positions (Mistral), or 0 for full attention
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
        int headDim = json.hasNonNull("head_dim") ? intValue(json, "head_dim", where) : hidden / Math.max(1, heads);
        String act = json.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new ModelException(where + ": hidden_act '" + act + "' is not supported (only silu)");
        }
        boolean bias = arch.qkvBias() || json.path("attention_bias").asBoolean(false);
        int window = 0;
        if (json.hasNonNull("sliding_window") && json.path("use_sliding_window").asBoolean(arch == Architecture.MISTRAL)) {
            window = intValue(json, "sliding_window", where);
        }
        int intermediate = requiredInt(json, "intermediate_size", where);
        int layers = requiredInt(json, "num_hidden_layers", where);
        int kvHeads = json.hasNonNull("num_key_value_heads") ? intValue(json, "num_key_value_heads", where) : heads;
        int vocab = requiredInt(json, "vocab_size", where);
        RopeScaling scaling = ropeScaling(json.path("rope_scaling"), where);
        int maxPositions = json.hasNonNull("max_position_embeddings")
                ? intValue(json, "max_position_embeddings", where) : 2048;
        float eps = (float) positiveReal(json, "rms_norm_eps", "rms_norm_eps", 1e-6, where);
        double theta = positiveReal(json, "rope_theta", "rope_theta", 10000.0, where);
        try {
            return new ModelConfig(arch, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, eps, theta,
                    scaling, maxPositions, json.path("tie_word_embeddings").asBoolean(false), bias, window);
        } catch (ModelException e) {
            // The constructor's checks do not know the file: name it, as every other config error does.
            throw new ModelException(where + e.getMessage().substring(UNNAMED_SOURCE.length()), e);
        }
    }

    private static RopeScaling ropeScaling(JsonNode node, String where) {
        if (node.isMissingNode() || node.isNull()) {
            return RopeScaling.NONE;
        }
        String type = node.path("rope_type").asText(node.path("type").asText("default"));
        switch (type) {
            case "default":
                return RopeScaling.NONE;
            case "linear":
                return new RopeScaling("linear", positiveReal(node, "factor", "rope_scaling.factor", 1.0, where),
                        1, 1, 0);
            case "llama3": {
                double factor = positiveReal(node, "factor", "rope_scaling.factor", 1.0, where);
                double low = realValue(node, "low_freq_factor", "rope_scaling.low_freq_factor", 1.0, where);
                double high = realValue(node, "high_freq_factor", "rope_scaling.high_freq_factor", 4.0, where);
                int original = node.path("original_max_position_embeddings").asInt(8192);
                if (!(factor > 0) || !(high > low) || original <= 0) {
                    throw new ModelException(where + ": rope_scaling llama3 needs factor > 0, high_freq_factor > "
                            + "low_freq_factor and original_max_position_embeddings > 0, got " + node);
                }
                return new RopeScaling("llama3", factor, low, high, original);
            }
            default:
                throw new ModelException(where + ": rope_scaling type '" + type
                        + "' is not supported (supported: linear, llama3)");
        }
    }

    private static int requiredInt(JsonNode json, String key, String where) {
        if (!json.hasNonNull(key)) {
            throw new ModelException(where + ": missing '" + key + "'");
        }
        return intValue(json, key, where);
    }

    private static int intValue(JsonNode json, String key, String where) {
        JsonNode v = json.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new ModelException(where + ": '" + key + "' must be an integer, got " + v);
        }
        return v.intValue();
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
