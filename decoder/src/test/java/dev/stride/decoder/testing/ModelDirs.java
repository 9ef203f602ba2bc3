package dev.stride.decoder.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.LayerWeights;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.tensor.WeightMatrix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Hugging Face model directories (config.json + safetensors with HF tensor names) built from in-memory models. */
public final class ModelDirs {

    private ModelDirs() {
    }

    /** A tensor to write: shape and row-major float32 values. */
    public record Tensor(long[] shape, float[] values) {
    }

    /** The model's tensors under their Hugging Face names, in checkpoint order; lm_head omitted when tied. */
    public static Map<String, Tensor> tensors(ModelConfig c, ModelWeights w) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        int h = c.hiddenSize();
        int q = c.qDim();
        int kv = c.kvDim();
        int inter = c.intermediateSize();
        t.put("model.embed_tokens.weight", matrix(w.embedding(), 0, c.vocabSize()));
        for (int i = 0; i < c.numLayers(); i++) {
            LayerWeights l = w.layers()[i];
            String p = "model.layers." + i + ".";
            t.put(p + "input_layernorm.weight", vector(l.attnNorm(), 0, h));
            t.put(p + "self_attn.q_proj.weight", matrix(l.qkv(), 0, q));
            t.put(p + "self_attn.k_proj.weight", matrix(l.qkv(), q, kv));
            t.put(p + "self_attn.v_proj.weight", matrix(l.qkv(), q + kv, kv));
            if (l.qkvBias() != null) {
                t.put(p + "self_attn.q_proj.bias", vector(l.qkvBias(), 0, q));
                t.put(p + "self_attn.k_proj.bias", vector(l.qkvBias(), q, kv));
                t.put(p + "self_attn.v_proj.bias", vector(l.qkvBias(), q + kv, kv));
            }
            t.put(p + "self_attn.o_proj.weight", matrix(l.output(), 0, h));
            t.put(p + "post_attention_layernorm.weight", vector(l.ffnNorm(), 0, h));
            t.put(p + "mlp.gate_proj.weight", matrix(l.gateUp(), 0, inter));
            t.put(p + "mlp.up_proj.weight", matrix(l.gateUp(), inter, inter));
            t.put(p + "mlp.down_proj.weight", matrix(l.down(), 0, h));
        }
        t.put("model.norm.weight", vector(w.finalNorm(), 0, h));
        if (!c.tiedEmbeddings()) {
            t.put("lm_head.weight", matrix(w.lmHead(), 0, c.vocabSize()));
        }
        return t;
    }

    /** Rows [first, first + count) of a (possibly stacked) matrix. */
    private static Tensor matrix(WeightMatrix m, int first, int count) {
        float[] values = new float[count * m.cols()];
        float[] row = new float[m.cols()];
        for (int r = 0; r < count; r++) {
            m.loadRow(first + r, row);
            System.arraycopy(row, 0, values, r * m.cols(), m.cols());
        }
        return new Tensor(new long[] {count, m.cols()}, values);
    }

    private static Tensor vector(float[] v, int first, int count) {
        return new Tensor(new long[] {count}, Arrays.copyOfRange(v, first, first + count));
    }

    public static SafetensorsWriter writer(Map<String, Tensor> tensors, DType dtype) {
        SafetensorsWriter writer = new SafetensorsWriter();
        tensors.forEach((name, t) -> writer.putFloats(name, dtype, t.shape(), t.values()));
        return writer.metadata("format", "pt");
    }

    /** config.json as transformers writes it for the config's architecture. */
    public static ObjectNode configJson(ModelConfig c) {
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.putArray("architectures").add(c.architecture().hfName());
        json.put("hidden_size", c.hiddenSize());
        json.put("intermediate_size", c.intermediateSize());
        json.put("num_hidden_layers", c.numLayers());
        json.put("num_attention_heads", c.numHeads());
        json.put("num_key_value_heads", c.numKvHeads());
        json.put("head_dim", c.headDim());
        json.put("vocab_size", c.vocabSize());
        json.put("rms_norm_eps", (double) c.rmsNormEps());
        json.put("rope_theta", c.ropeTheta());
        json.put("max_position_embeddings", c.maxPositions());
        json.put("tie_word_embeddings", c.tiedEmbeddings());
        json.put("hidden_act", "silu");
        if (c.slidingWindow() > 0) {
            json.put("sliding_window", c.slidingWindow());
            json.put("use_sliding_window", true);
            json.put("max_window_layers", 0); // Qwen2: every layer slides
        } else {
            json.putNull("sliding_window"); // Mistral's default is 4096
        }
        RopeScaling s = c.ropeScaling();
        if (s.type().equals("default")) {
            json.putNull("rope_scaling");
        } else {
            ObjectNode scaling = json.putObject("rope_scaling").put("rope_type", s.type()).put("factor", s.factor());
            if (s.type().equals("llama3")) {
                scaling.put("low_freq_factor", s.lowFreqFactor()).put("high_freq_factor", s.highFreqFactor())
                        .put("original_max_position_embeddings", s.originalMaxPositions());
            }
        }
        return json;
    }

    public static void writeConfig(Path dir, ObjectNode config) {
        try {
            Files.createDirectories(dir);
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes config.json and model.safetensors in {@code dtype}; returns {@code dir}. */
    public static Path write(Path dir, ModelConfig c, ModelWeights w, DType dtype) {
        writeConfig(dir, configJson(c));
        writer(tensors(c, w), dtype).write(dir.resolve("model.safetensors"));
        return dir;
    }
}
