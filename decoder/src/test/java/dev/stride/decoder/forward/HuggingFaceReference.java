package dev.stride.decoder.forward;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stride.decoder.testing.ModelDirs.Tensor;
import java.util.Map;

/**
 * The forward pass of transformers' LlamaForCausalLM, MistralForCausalLM and Qwen2ForCausalLM in float64, written
 * from their published modeling code and read from the config.json and Hugging Face tensors alone (none of Stride's
 * config or forward code): the oracle the float32 forward pass is held to.
 *
 * <p>What it follows (transformers 4.5x, masking_utils): RoPE with rotate_half, inv_freq = theta^(-2i/d) and the
 * "linear" (inv_freq / factor) and "llama3" (_compute_llama3_parameters) variants; grouped-query attention with head h
 * reading key/value head h / (heads / kv_heads) (repeat_kv); scale head_dim^-0.5; a causal mask, and on sliding
 * layers sliding_window_overlay: key k is visible to query q iff q - window < k <= q, the query and the window - 1
 * keys before it. Mistral slides every layer (sliding_window defaults to 4096); Qwen2 slides the layers that
 * layer_types names "sliding_attention", by default those from max_window_layers on when use_sliding_window.
 */
final class HuggingFaceReference {

    private final JsonNode config;
    private final Map<String, Tensor> tensors;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int inter;
    private final int layers;
    private final int vocab;
    private final double eps;
    private final double[] invFreq;
    private final int[] windows; // per layer, 0: full attention

    HuggingFaceReference(JsonNode config, Map<String, Tensor> tensors) {
        this.config = config;
        this.tensors = tensors;
        hidden = config.get("hidden_size").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.path("num_key_value_heads").asInt(heads);
        headDim = config.hasNonNull("head_dim") ? config.get("head_dim").asInt() : hidden / heads;
        inter = config.get("intermediate_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = config.path("rms_norm_eps").asDouble(1e-6);
        JsonNode rope = config.path("rope_parameters").isObject() ? config.get("rope_parameters")
                : config.path("rope_scaling");
        double theta = (config.path("rope_parameters").isObject() ? rope : config).path("rope_theta").asDouble(1e4);
        invFreq = inverseFrequencies(theta, headDim, rope);
        windows = windows(config, layers);
    }

    private static double[] inverseFrequencies(double theta, int dim, JsonNode rope) {
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (double) (2 * i) / dim);
        }
        String type = rope.isObject() ? rope.path("rope_type").asText(rope.path("type").asText("default")) : "default";
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= rope.get("factor").asDouble();
                }
            }
            case "llama3" -> {
                double factor = rope.get("factor").asDouble();
                double low = rope.get("low_freq_factor").asDouble();
                double high = rope.get("high_freq_factor").asDouble();
                double old = rope.get("original_max_position_embeddings").asDouble();
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    double scaled = wavelen > old / low ? inv[i] / factor : inv[i];
                    double smooth = (old / wavelen - low) / (high - low);
                    boolean medium = !(wavelen < old / high) && !(wavelen > old / low);
                    inv[i] = medium ? (1 - smooth) * scaled / factor + smooth * scaled : scaled;
                }
            }
            default -> throw new IllegalArgumentException("the reference has no rope type " + type);
        }
        return inv;
    }

    private static int[] windows(JsonNode config, int layers) {
        int[] windows = new int[layers];
        String arch = config.get("architectures").get(0).asText();
        if (arch.equals("MistralForCausalLM")) {
            int w = !config.has("sliding_window") ? 4096 : config.get("sliding_window").asInt(0);
            java.util.Arrays.fill(windows, w);
        } else if (arch.equals("Qwen2ForCausalLM")) {
            int w = !config.path("use_sliding_window").asBoolean(false) ? 0
                    : !config.has("sliding_window") ? 4096 : config.get("sliding_window").asInt(0);
            for (int i = 0; i < layers && w > 0; i++) {
                boolean sliding = config.has("layer_types")
                        ? config.get("layer_types").get(i).asText().equals("sliding_attention")
                        : i >= config.path("max_window_layers").asInt(28);
                windows[i] = sliding ? w : 0;
            }
        }
        return windows;
    }

    /** Logits (positions, vocab) of a whole sequence at positions 0, 1, ... */
    double[][] logits(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int p = 0; p < n; p++) {
            x[p] = row("model.embed_tokens.weight", tokens[p]);
        }
        for (int l = 0; l < layers; l++) {
            String pre = "model.layers." + l + ".";
            double[][] q = new double[n][];
            double[][] k = new double[n][];
            double[][] v = new double[n][];
            for (int p = 0; p < n; p++) {
                double[] h = rmsNorm(x[p], pre + "input_layernorm.weight");
                q[p] = rope(linear(pre + "self_attn.q_proj", h), p, heads);
                k[p] = rope(linear(pre + "self_attn.k_proj", h), p, kvHeads);
                v[p] = linear(pre + "self_attn.v_proj", h);
            }
            for (int p = 0; p < n; p++) {
                double[] attn = new double[heads * headDim];
                for (int h = 0; h < heads; h++) {
                    int g = h / (heads / kvHeads);
                    double[] s = new double[p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int key = 0; key <= p; key++) {
                        boolean visible = windows[l] == 0 || key > p - windows[l];
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[p][h * headDim + d] * k[key][g * headDim + d];
                        }
                        s[key] = visible ? dot / Math.sqrt(headDim) : Double.NEGATIVE_INFINITY;
                        max = Math.max(max, s[key]);
                    }
                    double sum = 0;
                    for (int key = 0; key <= p; key++) {
                        s[key] = Math.exp(s[key] - max);
                        sum += s[key];
                    }
                    for (int key = 0; key <= p; key++) {
                        for (int d = 0; d < headDim; d++) {
                            attn[h * headDim + d] += s[key] / sum * v[key][g * headDim + d];
                        }
                    }
                }
                add(x[p], linear(pre + "self_attn.o_proj", attn));
            }
            for (int p = 0; p < n; p++) {
                double[] h = rmsNorm(x[p], pre + "post_attention_layernorm.weight");
                double[] gate = linear(pre + "mlp.gate_proj", h);
                double[] up = linear(pre + "mlp.up_proj", h);
                double[] act = new double[inter];
                for (int i = 0; i < inter; i++) {
                    act[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                add(x[p], linear(pre + "mlp.down_proj", act));
            }
        }
        String head = tensors.containsKey("lm_head.weight") ? "lm_head" : "model.embed_tokens";
        if (!config.path("tie_word_embeddings").asBoolean(false) && !tensors.containsKey("lm_head.weight")) {
            throw new IllegalArgumentException("untied and no lm_head.weight");
        }
        double[][] logits = new double[n][];
        for (int p = 0; p < n; p++) {
            logits[p] = linear(head, rmsNorm(x[p], "model.norm.weight"));
            if (logits[p].length != vocab) {
                throw new IllegalStateException("vocab");
            }
        }
        return logits;
    }

    /** rotate_half: x * cos + rotate_half(x) * sin, cos and sin of p * inv_freq repeated over both halves. */
    private double[] rope(double[] x, int p, int count) {
        int half = headDim / 2;
        for (int h = 0; h < count; h++) {
            int o = h * headDim;
            for (int i = 0; i < half; i++) {
                double c = Math.cos(p * invFreq[i]);
                double s = Math.sin(p * invFreq[i]);
                double a = x[o + i];
                double b = x[o + i + half];
                x[o + i] = a * c - b * s;
                x[o + i + half] = b * c + a * s;
            }
        }
        return x;
    }

    private double[] rmsNorm(double[] x, String weight) {
        double ms = 0;
        for (double value : x) {
            ms += value * value;
        }
        double scale = 1 / Math.sqrt(ms / x.length + eps);
        float[] w = tensors.get(weight).values();
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = w[i] * (x[i] * scale);
        }
        return y;
    }

    /** y = W x (+ b when the checkpoint has {@code name}.bias). */
    private double[] linear(String name, double[] x) {
        Tensor w = tensors.get(name + ".weight");
        int rows = (int) w.shape()[0];
        int cols = (int) w.shape()[1];
        if (cols != x.length) {
            throw new IllegalStateException(name + ": " + cols + " columns for " + x.length + " inputs");
        }
        Tensor bias = tensors.get(name + ".bias");
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = bias == null ? 0 : bias.values()[r];
            for (int c = 0; c < cols; c++) {
                sum += (double) w.values()[r * cols + c] * x[c];
            }
            y[r] = sum;
        }
        return y;
    }

    private double[] row(String name, int r) {
        Tensor w = tensors.get(name);
        int cols = (int) w.shape()[1];
        double[] y = new double[cols];
        for (int c = 0; c < cols; c++) {
            y[c] = w.values()[r * cols + c];
        }
        return y;
    }

    private static void add(double[] acc, double[] delta) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += delta[i];
        }
    }
}
