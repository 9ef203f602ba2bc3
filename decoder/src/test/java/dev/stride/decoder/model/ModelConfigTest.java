package dev.stride.decoder.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json as the Hugging Face families write it, and every way it can be wrong. */
class ModelConfigTest {

    @TempDir
    Path dir;

    private static final String LLAMA2_7B = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
             "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
             "vocab_size": 32000, "max_position_embeddings": 4096, "rms_norm_eps": 1e-05,
             "hidden_act": "silu", "rope_scaling": null, "tie_word_embeddings": false, "torch_dtype": "float16"}
            """;

    private static final String LLAMA31_8B = """
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
             "max_position_embeddings": 131072, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
             "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "tie_word_embeddings": false, "hidden_act": "silu", "attention_bias": false}
            """;

    private static final String LLAMA32_1B = """
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 8192,
             "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 64,
             "vocab_size": 128256, "max_position_embeddings": 131072, "rms_norm_eps": 1e-05,
             "rope_theta": 500000.0, "rope_scaling": {"factor": 32.0, "low_freq_factor": 1.0,
             "high_freq_factor": 4.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
             "tie_word_embeddings": true, "hidden_act": "silu"}
            """;

    private static final String MISTRAL_7B = """
            {"architectures": ["MistralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000,
             "max_position_embeddings": 32768, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "sliding_window": 4096, "hidden_act": "silu", "tie_word_embeddings": false}
            """;

    private static final String QWEN2_05B = """
            {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 896, "intermediate_size": 4864,
             "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151936,
             "max_position_embeddings": 32768, "max_window_layers": 24, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0, "sliding_window": 32768, "use_sliding_window": false,
             "tie_word_embeddings": true, "hidden_act": "silu", "torch_dtype": "bfloat16"}
            """;

    private Path write(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json, StandardCharsets.UTF_8);
        return dir;
    }

    private ModelConfig read(String json) throws IOException {
        return ModelConfig.read(write(json));
    }

    /** Replaces {@code "key": old} in a config by {@code "key": replacement} (raw JSON), failing if absent. */
    private static String with(String json, String key, String replacement) {
        String changed = json.replaceFirst("\"" + key + "\": [^,}]+", "\"" + key + "\": " + replacement);
        assertFalse(changed.equals(json) && !json.contains("\"" + key + "\": " + replacement),
                "test setup: no key " + key);
        return changed;
    }

    private static String without(String json, String key) {
        String changed = json.replaceFirst("\"" + key + "\": [^,}]+,\\s*", "");
        assertFalse(changed.equals(json), "test setup: no key " + key);
        return changed;
    }

    /** The error for a broken config: must name the config file and the offending key or value. */
    private ModelException error(String json, String... mentions) throws IOException {
        write(json);
        ModelException e = assertThrows(ModelException.class, () -> ModelConfig.read(dir));
        String file = dir.resolve("config.json").toString();
        assertTrue(e.getMessage().contains(file), "message should name " + file + ": " + e.getMessage());
        for (String mention : mentions) {
            assertTrue(e.getMessage().contains(mention), "message should mention " + mention + ": " + e.getMessage());
        }
        return e;
    }

    // ---------------------------------------------------------------------------------------------- variants

    @Test
    void llama2DerivesHeadDimAndDefaultsKvHeadsToHeads() throws IOException {
        ModelConfig c = read(LLAMA2_7B);
        assertEquals(Architecture.LLAMA, c.architecture());
        assertEquals(4096, c.hiddenSize());
        assertEquals(11008, c.intermediateSize());
        assertEquals(32, c.numLayers());
        assertEquals(32, c.numHeads());
        assertEquals(32, c.numKvHeads(), "no num_key_value_heads means multi-head attention");
        assertEquals(128, c.headDim(), "head_dim defaults to hidden_size / num_attention_heads");
        assertEquals(4096, c.qDim());
        assertEquals(4096, c.kvDim());
        assertEquals(32000, c.vocabSize());
        assertEquals(4096, c.maxPositions());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta(), "rope_theta default");
        assertSame(RopeScaling.NONE, c.ropeScaling());
        assertFalse(c.tiedEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(0, c.slidingWindow());
        // Plain RoPE: inv_freq[i] = theta^(-2i/d).
        double[] inv = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headDim());
        assertEquals(64, inv.length);
        for (int i : new int[] {0, 1, 17, 63}) {
            assertEquals(Math.pow(10000.0, -2.0 * i / 128), inv[i], 1e-15, "inv_freq " + i);
        }
    }

    @Test
    void llama31Llama3RopeScalingMatchesHuggingFaceFormula() throws IOException {
        ModelConfig c = read(LLAMA31_8B);
        assertEquals(8, c.numKvHeads());
        assertEquals(128, c.headDim());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(131072, c.maxPositions());
        RopeScaling s = c.ropeScaling();
        assertEquals("llama3", s.type());
        assertEquals(8.0, s.factor());
        assertEquals(1.0, s.lowFreqFactor());
        assertEquals(4.0, s.highFreqFactor());
        assertEquals(8192, s.originalMaxPositions());

        double[] inv = s.inverseFrequencies(c.ropeTheta(), c.headDim());
        assertEquals(64, inv.length);
        for (int i = 0; i < inv.length; i++) {
            double expected = huggingFaceLlama3(500000.0, 128, 8.0, 1.0, 4.0, 8192, i);
            assertEquals(expected, inv[i], 1e-12 * Math.max(1e-9, expected) + 1e-18, "inv_freq " + i);
        }
        // Literal values from transformers' _compute_llama3_parameters (float64), one per band:
        assertEquals(1.0, inv[0], 1e-15, "high frequency: unchanged");
        assertEquals(0.8146172338565447, inv[1], 1e-15, "high frequency: unchanged");
        assertEquals(0.0013718935677611381, inv[30], 1e-15, "medium frequency: smoothed");
        assertEquals(0.0005248461609929547, inv[32], 1e-15, "medium frequency: smoothed");
        assertEquals(4.411534674558404e-06, inv[50], 1e-19, "low frequency: divided by factor");
        assertEquals(Math.pow(500000.0, -50.0 / 64) / 8, inv[50], 1e-19);
        // The medium band interpolates strictly between the two.
        double raw30 = Math.pow(500000.0, -30.0 / 64);
        assertTrue(inv[30] > raw30 / 8 && inv[30] < raw30, "medium band lies between scaled and unscaled");
    }

    /** transformers' llama3 rope init written out per index, independently of RopeScaling. */
    private static double huggingFaceLlama3(double theta, int dim, double factor, double low, double high,
                                            int original, int index) {
        double base = 1.0 / Math.pow(theta, (double) (2 * index) / dim);
        double wavelen = 2 * Math.PI / base;
        double lowFreqWavelen = original / low;
        double highFreqWavelen = original / high;
        if (wavelen < highFreqWavelen) {
            return base;
        }
        if (wavelen > lowFreqWavelen) {
            return base / factor;
        }
        double smooth = (original / wavelen - low) / (high - low);
        return (1 - smooth) * base / factor + smooth * base;
    }

    @Test
    void llama32TiedEmbeddingsExplicitHeadDimAndFactor32() throws IOException {
        ModelConfig c = read(LLAMA32_1B);
        assertTrue(c.tiedEmbeddings());
        assertEquals(64, c.headDim());
        assertEquals(2048, c.qDim());
        assertEquals(512, c.kvDim());
        assertEquals(32.0, c.ropeScaling().factor());
        double[] inv = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headDim());
        assertEquals(1.0, inv[0], 1e-15);
        assertEquals(0.001290547928209264, inv[15], 1e-15, "medium band with factor 32");
        assertEquals(9.418306725434909e-08, inv[31], 1e-21, "low band with factor 32");
        // Tied embeddings are counted once.
        long untied = ModelLoader.parameterCount(new ModelConfig(c.architecture(), c.hiddenSize(),
                c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(), c.vocabSize(),
                c.rmsNormEps(), c.ropeTheta(), c.ropeScaling(), c.maxPositions(), false, c.qkvBias(),
                c.slidingWindow()));
        assertEquals((long) c.vocabSize() * c.hiddenSize(), untied - ModelLoader.parameterCount(c));
        assertEquals(1_235_814_400L, ModelLoader.parameterCount(c), "Llama 3.2 1B has 1.24B parameters");
    }

    @Test
    void mistralSlidingWindow() throws IOException {
        ModelConfig c = read(MISTRAL_7B);
        assertEquals(Architecture.MISTRAL, c.architecture());
        assertEquals(4096, c.slidingWindow());
        assertFalse(c.qkvBias());
        assertFalse(c.tiedEmbeddings());
        assertEquals(7_241_732_096L, ModelLoader.parameterCount(c), "Mistral 7B v0.1 parameter count");

        assertEquals(0, read(with(MISTRAL_7B, "sliding_window", "null")).slidingWindow(),
                "Mistral v0.3 writes sliding_window null: full attention");
    }

    @Test
    void qwen2HasQkvBiasAndIgnoresDisabledSlidingWindow() throws IOException {
        ModelConfig c = read(QWEN2_05B);
        assertEquals(Architecture.QWEN2, c.architecture());
        assertTrue(c.qkvBias(), "Qwen2 q/k/v projections carry biases");
        assertEquals(0, c.slidingWindow(), "use_sliding_window false");
        assertEquals(64, c.headDim());
        assertEquals(2, c.numKvHeads());
        assertEquals(1e-6f, c.rmsNormEps());
        assertEquals(1_000_000.0, c.ropeTheta());
        assertTrue(c.tiedEmbeddings());
        assertEquals(494_032_768L, ModelLoader.parameterCount(c), "Qwen2-0.5B parameter count");
        // Qwen2 slides from layer max_window_layers on (Hugging Face's default 28): the 0.5B model's 24 layers none.
        String sliding = with(QWEN2_05B, "use_sliding_window", "true").replace("32768,", "4096,");
        assertEquals(0, read(sliding).slidingWindow());
        assertEquals(0, read(sliding.replace("\"max_window_layers\": 24, ", "")).slidingWindow(), "default 28");
        assertEquals(4096, read(with(sliding, "max_window_layers", "0")).slidingWindow());
        error(with(sliding, "max_window_layers", "12"), "sliding window on 12 of 24 layers");
        String types = "\"layer_types\": [" + String.join(", ", java.util.Collections.nCopies(24,
                "\"sliding_attention\"")) + "], ";
        assertEquals(4096, read(sliding.replace("\"max_window_layers\": 24, ", types)).slidingWindow());
        error(sliding.replace("\"max_window_layers\": 24, ", types.replaceFirst("sliding", "full")),
                "sliding window on 23 of 24 layers");
    }

    /**
     * Qwen2Config's sliding_window defaults to 4096 as Mistral's does: with use_sliding_window and no sliding_window,
     * transformers slides its layers from max_window_layers on by 4096 positions. layer_types must name every layer,
     * and sliding layers need a window (transformers' sliding mask raises without one).
     */
    @Test
    void qwen2SlidingWindowDefaultsAndLayerTypesAsTransformers() throws IOException {
        String sliding = with(with(QWEN2_05B, "use_sliding_window", "true"), "max_window_layers", "0");
        assertEquals(4096, read(without(sliding, "sliding_window")).slidingWindow(), "Qwen2Config's default");
        assertEquals(0, read(with(sliding, "sliding_window", "null")).slidingWindow(), "null: full attention");
        String types = "\"layer_types\": [" + String.join(", ", java.util.Collections.nCopies(23,
                "\"sliding_attention\"")) + "], ";
        error(sliding.replace("\"max_window_layers\": 0, ", types), "layer_types", "23", "24");
        String allSliding = types.replace("], ", ", \"sliding_attention\"], ");
        error(with(QWEN2_05B, "max_window_layers", "0").replace("\"max_window_layers\": 0, ", allSliding),
                "layer_types", "sliding_window");
        error(sliding.replace("\"max_window_layers\": 0, ", allSliding.replace("sliding_attention",
                "chunked_attention")), "layer_types", "chunked_attention");
    }

    /**
     * Configs whose math the forward pass does not have are refused, not read as something close: Llama's biases on
     * o_proj and the MLP, partial rotary embeddings. Mistral's window defaults as Hugging Face's does, Llama has none,
     * and Transformers 5's rope_parameters are read.
     */
    @Test
    void fieldsThatChangeTheMathAreReadAsHuggingFaceDoesOrRefused() throws IOException {
        error(with(LLAMA31_8B, "attention_bias", "true"), "attention_bias", "o_proj");
        error(LLAMA2_7B.replace("\"hidden_act\"", "\"mlp_bias\": true, \"hidden_act\""), "mlp_bias");
        error(LLAMA2_7B.replace("\"hidden_act\"", "\"partial_rotary_factor\": 0.5, \"hidden_act\""),
                "partial_rotary_factor");
        assertEquals(4096, read(MISTRAL_7B.replace("\"sliding_window\": 4096, ", "")).slidingWindow(),
                "Mistral's default window");
        assertEquals(0, read(LLAMA2_7B.replace("\"hidden_act\"", "\"sliding_window\": 64, "
                + "\"use_sliding_window\": true, \"hidden_act\"")).slidingWindow(), "Llama has no window");

        String v5 = LLAMA31_8B.replace("\"rope_theta\": 500000.0,", "").replace("\"rope_scaling\": {",
                "\"rope_parameters\": {\"rope_theta\": 500000.0, ");
        ModelConfig fromParameters = read(v5);
        ModelConfig fromTopLevel = read(LLAMA31_8B);
        assertEquals(fromTopLevel.ropeTheta(), fromParameters.ropeTheta());
        assertEquals(fromTopLevel.ropeScaling(), fromParameters.ropeScaling());
        error(v5.replace("\"tie_word_embeddings\"", "\"rope_theta\": 10000.0, \"tie_word_embeddings\""),
                "rope_parameters beside rope_theta");
    }

    /** Without max_position_embeddings each family has its transformers config class's default context. */
    @Test
    void maxPositionsDefaultPerFamily() throws IOException {
        assertEquals(2048, read(without(LLAMA2_7B, "max_position_embeddings")).maxPositions(), "LlamaConfig");
        assertEquals(131072, read(without(MISTRAL_7B, "max_position_embeddings")).maxPositions(), "MistralConfig");
        assertEquals(32768, read(without(QWEN2_05B, "max_position_embeddings")).maxPositions(), "Qwen2Config");
    }

    @Test
    void kvHeadsDefaultPerFamily() throws IOException {
        // LlamaConfig: one per attention head (llama2DerivesHeadDimAndDefaultsKvHeadsToHeads).
        assertEquals(8, read(without(MISTRAL_7B, "num_key_value_heads")).numKvHeads(), "MistralConfig");
        assertEquals(32, read(with(MISTRAL_7B, "num_key_value_heads", "null")).numKvHeads(), "null: one per head");
        error(without(QWEN2_05B, "num_key_value_heads"), "num_key_value_heads (32)");
        assertEquals(14, read(with(QWEN2_05B, "num_key_value_heads", "null")).numKvHeads(), "null: one per head");
    }

    @Test
    void explicitHeadDimMayDifferFromHiddenOverHeads() throws IOException {
        // Mistral Nemo: 32 heads of 128 on a 5120-wide residual stream.
        ModelConfig c = read(with(with(MISTRAL_7B, "hidden_size", "5120"), "sliding_window", "null")
                .replace("\"num_attention_heads\": 32,", "\"num_attention_heads\": 32, \"head_dim\": 128,"));
        assertEquals(128, c.headDim());
        assertEquals(4096, c.qDim());
        assertEquals(1024, c.kvDim());
        assertEquals(5120, c.hiddenSize());
        error(with(LLAMA32_1B, "head_dim", "63"), "head_dim", "63");
    }

    @Test
    void linearRopeScalingDividesEveryFrequency() throws IOException {
        ModelConfig c = read(with(LLAMA2_7B, "rope_scaling", "{\"type\": \"linear\", \"factor\": 4.0}"));
        double[] inv = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headDim());
        for (int i : new int[] {0, 9, 63}) {
            assertEquals(Math.pow(10000.0, -2.0 * i / 128) / 4, inv[i], 1e-15);
        }
    }

    // ------------------------------------------------------------------------------------------------ errors

    @Test
    void unknownArchitecture() throws IOException {
        error(LLAMA2_7B.replace("LlamaForCausalLM", "GPT2LMHeadModel"), "GPT2LMHeadModel", "LlamaForCausalLM");
        error(without(LLAMA2_7B, "architectures"), "architectures");
    }

    @Test
    void missingHiddenSize() throws IOException {
        error(without(LLAMA2_7B, "hidden_size"), "hidden_size");
        error(without(LLAMA2_7B, "vocab_size"), "vocab_size");
        error(without(LLAMA2_7B, "num_hidden_layers"), "num_hidden_layers");
    }

    @Test
    void nonIntegerValues() throws IOException {
        error(with(LLAMA2_7B, "num_hidden_layers", "2.5"), "num_hidden_layers", "2.5");
        error(with(LLAMA2_7B, "vocab_size", "\"32000\""), "vocab_size");
        error(with(LLAMA2_7B, "hidden_size", "4096.0"), "hidden_size");
        error(with(LLAMA31_8B, "num_key_value_heads", "true"), "num_key_value_heads");
        error(with(LLAMA2_7B, "max_position_embeddings", "10000000000"), "max_position_embeddings");
    }

    @Test
    void nonNumericOrOutOfRangeRealValues() throws IOException {
        error(with(LLAMA2_7B, "rms_norm_eps", "\"1e-5\""), "rms_norm_eps", "\"1e-5\"");
        error(with(LLAMA2_7B, "rms_norm_eps", "1e39"), "rms_norm_eps", "finite");
        error(with(LLAMA2_7B, "rms_norm_eps", "1e-50"), "rms_norm_eps");
        error(with(LLAMA31_8B, "rope_theta", "\"fast\""), "rope_theta", "fast");
        error(with(LLAMA31_8B, "rope_theta", "1e309"), "rope_theta", "finite");
        error(with(LLAMA31_8B, "rope_theta", "-500000.0"), "rope_theta");
        String linear = "{\"rope_type\": \"linear\", \"factor\": %s}";
        error(with(LLAMA2_7B, "rope_scaling", linear.formatted("\"x\"")), "rope_scaling.factor", "\"x\"");
        error(with(LLAMA2_7B, "rope_scaling", linear.formatted("true")), "rope_scaling.factor");
        error(with(LLAMA2_7B, "rope_scaling", linear.formatted("0")), "rope_scaling.factor");
        error(LLAMA31_8B.replace("\"factor\": 8.0", "\"factor\": \"8\""), "rope_scaling.factor");
        error(LLAMA31_8B.replace("\"low_freq_factor\": 1.0", "\"low_freq_factor\": \"one\""),
                "rope_scaling.low_freq_factor", "one");
        error(LLAMA31_8B.replace("\"high_freq_factor\": 4.0", "\"high_freq_factor\": 1e39"),
                "rope_scaling.high_freq_factor", "finite");
        assertEquals(10000.0, read(with(LLAMA31_8B, "rope_theta", "null")).ropeTheta(), "null is absent");
    }

    @Test
    void theConstructorRefusesNonFiniteEpsilonAndTheta() throws IOException {
        ModelConfig c = read(LLAMA2_7B);
        for (float eps : new float[] {Float.POSITIVE_INFINITY, Float.NaN}) {
            ModelException e = assertThrows(ModelException.class, () -> new ModelConfig(c.architecture(),
                    c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                    c.vocabSize(), eps, c.ropeTheta(), c.ropeScaling(), c.maxPositions(), c.tiedEmbeddings(),
                    c.qkvBias(), c.slidingWindow()));
            assertTrue(e.getMessage().contains("rms_norm_eps"), e.getMessage());
        }
        ModelException e = assertThrows(ModelException.class, () -> new ModelConfig(c.architecture(),
                c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
                c.vocabSize(), c.rmsNormEps(), Double.POSITIVE_INFINITY, c.ropeScaling(), c.maxPositions(),
                c.tiedEmbeddings(), c.qkvBias(), c.slidingWindow()));
        assertTrue(e.getMessage().contains("rope_theta"), e.getMessage());
    }

    @Test
    void headsNotAMultipleOfKvHeads() throws IOException {
        error(with(LLAMA31_8B, "num_key_value_heads", "5"), "num_attention_heads", "num_key_value_heads", "32",
                "5");
    }

    /** 32 heads of 2^27 dimensions made a query width of 2^32, read as 0: the loader then asked for [0, 2048]. */
    @Test
    void headsTimesHeadDimBeyondAnInt() throws IOException {
        error(with(LLAMA32_1B, "head_dim", "134217728"), "num_attention_heads", "head_dim", "134217728", "32");
    }

    @Test
    void zeroOrNegativeSizes() throws IOException {
        error(with(LLAMA2_7B, "intermediate_size", "0"), "intermediate_size");
        error(with(LLAMA2_7B, "hidden_size", "-4096"), "hidden_size");
        error(with(LLAMA2_7B, "num_attention_heads", "0"), "num_attention_heads");
        error(with(LLAMA31_8B, "num_key_value_heads", "0"), "num_key_value_heads");
        error(with(LLAMA2_7B, "vocab_size", "-1"), "vocab_size");
        error(with(LLAMA2_7B, "max_position_embeddings", "0"), "max_position_embeddings");
        error(with(MISTRAL_7B, "sliding_window", "-1"), "sliding_window");
        error(with(LLAMA32_1B, "head_dim", "0"), "head_dim");
        error(with(LLAMA2_7B, "rms_norm_eps", "0"), "rms_norm_eps");
    }

    @Test
    void unsupportedRopeScalingType() throws IOException {
        error(with(LLAMA2_7B, "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0,"
                + " \"original_max_position_embeddings\": 32768}"), "rope_scaling", "yarn");
        error(with(LLAMA2_7B, "rope_scaling", "{\"type\": \"dynamic\", \"factor\": 2.0}"), "dynamic");
        error(LLAMA31_8B.replace("\"high_freq_factor\": 4.0", "\"high_freq_factor\": 0.5"), "llama3");
        // transformers copies "type" over "rope_type" (backward compatibility): two that differ are refused.
        error(with(LLAMA2_7B, "rope_scaling", "{\"type\": \"linear\", \"rope_type\": \"default\", \"factor\": 4.0}"),
                "type", "rope_type", "linear", "default");
        assertEquals("llama3", read(LLAMA31_8B.replace("\"rope_type\"", "\"type\": \"llama3\", \"rope_type\""))
                .ropeScaling().type(), "the same type under both keys");
    }

    /** transformers raises on a rope_scaling without its type's required keys: no factor or band is made up. */
    @Test
    void ropeScalingWithoutItsRequiredKeys() throws IOException {
        error(with(LLAMA2_7B, "rope_scaling", "{\"rope_type\": \"linear\"}"), "rope_scaling.factor", "missing");
        for (String key : new String[] {"factor", "low_freq_factor", "high_freq_factor",
            "original_max_position_embeddings"}) {
            error(without(LLAMA31_8B, key), "rope_scaling." + key, "missing");
        }
        error(with(LLAMA31_8B, "original_max_position_embeddings", "\"long\""),
                "original_max_position_embeddings", "long");
        error(with(LLAMA31_8B, "original_max_position_embeddings", "8192.5"),
                "original_max_position_embeddings", "8192.5");
    }

    @Test
    void unsupportedActivation() throws IOException {
        error(with(LLAMA2_7B, "hidden_act", "\"gelu\""), "hidden_act", "gelu");
    }

    @Test
    void invalidJson() throws IOException {
        error(LLAMA2_7B.replace("\"hidden_size\": 4096,", "\"hidden_size\": 4096,,"), "not valid JSON");
        error("", "config.json");
        error("[1, 2, 3]", "architectures");
    }

    @Test
    void missingConfigNamesTheDirectory() {
        ModelException e = assertThrows(ModelException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("config.json"), e.getMessage());
    }
}
