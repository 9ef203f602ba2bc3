package dev.stride.decoder.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.gguf.GgmlType;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.TensorInfo;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF files (version 3 unless told) for tests, following the format description (not Stride's reader):
 * header, typed metadata, tensor entries with dimensions innermost first, data aligned to 32 bytes.
 * {@link #fromModel} turns a Hugging Face Llama or Qwen2 directory into the GGUF file llama.cpp's converter would
 * make of it, query and key rows permuted as its {@code permute} does.
 */
public final class GgufTestWriter {

    private record Tensor(String name, GgmlType type, long[] dims, byte[] data) {
    }

    private static final int ALIGNMENT = 32;

    private final Map<String, Object> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int version = 3;

    /** The format version written: 2 has version 3's layout (64-bit counts), 1 had 32-bit ones. */
    public GgufTestWriter version(int version) {
        this.version = version;
        return this;
    }

    /** {@code MODEL_DIR F16|F32|Q8_0 OUT.gguf}: the {@link #fromModel} file of a model (scripts/gguf-crosscheck.sh). */
    public static void main(String[] args) {
        fromModel(Path.of(args[0]), GgmlType.valueOf(args[1])).write(Path.of(args[2]));
    }

    /** String, Integer (UINT32), Float (FLOAT32), Boolean, List of String, or int[] (array of INT32). */
    public GgufTestWriter put(String key, Object value) {
        metadata.put(key, value);
        return this;
    }

    public GgufTestWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** A tensor of {@code type}, {@code dims} innermost first; replaces one of the same name where it stood. */
    public GgufTestWriter tensor(String name, GgmlType type, long[] dims, byte[] data) {
        Tensor tensor = new Tensor(name, type, dims.clone(), data.clone());
        for (int i = 0; i < tensors.size(); i++) {
            if (tensors.get(i).name().equals(name)) {
                tensors.set(i, tensor);
                return this;
            }
        }
        tensors.add(tensor);
        return this;
    }

    public void write(Path file) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Out out = new Out(bytes);
        out.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());
        metadata.forEach((key, value) -> {
            out.string(key);
            out.value(value);
        });
        long offset = 0;
        for (Tensor t : tensors) {
            out.string(t.name());
            out.u32(t.dims().length);
            for (long d : t.dims()) {
                out.u64(d);
            }
            out.u32(t.type().id());
            out.u64(offset);
            offset = align(offset + t.data().length);
        }
        out.pad();
        for (Tensor t : tensors) {
            out.raw(t.data());
            out.pad();
        }
        try {
            Files.write(file, bytes.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private record Out(ByteArrayOutputStream bytes) {

        void raw(byte[] b) {
            bytes.write(b, 0, b.length);
        }

        void u32(int v) {
            raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        void u64(long v) {
            raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        void string(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            raw(utf8);
        }

        void pad() {
            while (bytes.size() % ALIGNMENT != 0) {
                bytes.write(0);
            }
        }

        void value(Object value) {
            if (value instanceof String s) {
                u32(8);
                string(s);
            } else if (value instanceof Integer i) {
                u32(4);
                u32(i);
            } else if (value instanceof Float f) {
                u32(6);
                u32(Float.floatToRawIntBits(f));
            } else if (value instanceof Boolean b) {
                u32(7);
                bytes.write(b ? 1 : 0);
            } else if (value instanceof int[] ints) {
                u32(9);
                u32(5);
                u64(ints.length);
                for (int i : ints) {
                    u32(i);
                }
            } else if (value instanceof List<?> list) {
                u32(9);
                u32(8);
                u64(list.size());
                list.forEach(s -> string((String) s));
            } else {
                throw new IllegalArgumentException("no GGUF type for " + value);
            }
        }
    }

    /**
     * The Llama or Qwen2 model in {@code modelDir} as llama.cpp's converter lays it out: {@code llama.*} or
     * {@code qwen2.*} metadata, the byte-level BPE tokenizer as {@code tokenizer.ggml.*}, tensors under GGUF names,
     * matrices in {@code matrices} (F16, F32 or Q8_0, quantized by Stride's own Q8_0 quantizer), vectors as F32, and
     * a Llama's query and key rows permuted as the converter's {@code permute} does.
     */
    public static GgufTestWriter fromModel(Path modelDir, GgmlType matrices) {
        ModelConfig c = ModelConfig.read(modelDir);
        boolean qwen2 = c.architecture() == Architecture.QWEN2;
        String k = qwen2 ? "qwen2." : "llama.";
        GgufTestWriter w = new GgufTestWriter()
                .put("general.architecture", qwen2 ? "qwen2" : "llama")
                .put("general.name", modelDir.getFileName().toString())
                .put(k + "context_length", c.maxPositions())
                .put(k + "embedding_length", c.hiddenSize())
                .put(k + "block_count", c.numLayers())
                .put(k + "feed_forward_length", c.intermediateSize())
                .put(k + "rope.dimension_count", c.headDim())
                .put(k + "attention.head_count", c.numHeads())
                .put(k + "attention.head_count_kv", c.numKvHeads())
                .put(k + "attention.layer_norm_rms_epsilon", c.rmsNormEps())
                .put(k + "rope.freq_base", (float) c.ropeTheta());
        tokenizer(w, modelDir);
        int qHeads = qwen2 ? 0 : c.numHeads();
        int kHeads = qwen2 ? 0 : c.numKvHeads();
        try (TensorStore store = TensorStore.openDirectory(modelDir)) {
            w.put("general.alignment", ALIGNMENT);
            w.add(store, "model.embed_tokens.weight", "token_embd.weight", matrices, 0);
            for (int i = 0; i < c.numLayers(); i++) {
                String p = "model.layers." + i + ".";
                String g = "blk." + i + ".";
                w.add(store, p + "input_layernorm.weight", g + "attn_norm.weight", matrices, 0);
                w.add(store, p + "self_attn.q_proj.weight", g + "attn_q.weight", matrices, qHeads);
                w.add(store, p + "self_attn.k_proj.weight", g + "attn_k.weight", matrices, kHeads);
                w.add(store, p + "self_attn.v_proj.weight", g + "attn_v.weight", matrices, 0);
                if (c.qkvBias()) {
                    for (String proj : new String[] {"q", "k", "v"}) {
                        w.add(store, p + "self_attn." + proj + "_proj.bias", g + "attn_" + proj + ".bias", matrices, 0);
                    }
                }
                w.add(store, p + "self_attn.o_proj.weight", g + "attn_output.weight", matrices, 0);
                w.add(store, p + "post_attention_layernorm.weight", g + "ffn_norm.weight", matrices, 0);
                w.add(store, p + "mlp.gate_proj.weight", g + "ffn_gate.weight", matrices, 0);
                w.add(store, p + "mlp.up_proj.weight", g + "ffn_up.weight", matrices, 0);
                w.add(store, p + "mlp.down_proj.weight", g + "ffn_down.weight", matrices, 0);
            }
            w.add(store, "model.norm.weight", "output_norm.weight", matrices, 0);
            if (store.contains("lm_head.weight")) {
                w.add(store, "lm_head.weight", "output.weight", matrices, 0);
            }
        }
        return w;
    }

    private void add(TensorStore store, String hfName, String ggufName, GgmlType matrices, int rotaryHeads) {
        TensorInfo info = store.info(hfName);
        long[] shape = info.shape();
        float[] values = store.readFloats(hfName);
        if (shape.length == 1) {
            tensor(ggufName, GgmlType.F32, shape, encode(values, DType.F32));
            return;
        }
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        if (rotaryHeads > 0) {
            values = permuteLikeLlamaCpp(values, rows, cols, rotaryHeads);
        }
        long[] dims = {cols, rows};
        switch (matrices) {
            case F32 -> tensor(ggufName, matrices, dims, encode(values, DType.F32));
            case F16 -> tensor(ggufName, matrices, dims, encode(values, DType.F16));
            case Q8_0 -> tensor(ggufName, matrices, dims, q8Blocks(values, rows, cols));
            default -> throw new IllegalArgumentException("matrices as " + matrices);
        }
    }

    /**
     * numpy's {@code w.reshape(heads, 2, rows // heads // 2, cols).swapaxes(1, 2).reshape(rows, cols)}: element
     * [h, t, j] moves to [h, j, t].
     */
    private static float[] permuteLikeLlamaCpp(float[] w, int rows, int cols, int heads) {
        int half = rows / heads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int t = 0; t < 2; t++) {
                for (int j = 0; j < half; j++) {
                    int from = (h * 2 * half + t * half + j) * cols;
                    int to = (h * half * 2 + j * 2 + t) * cols;
                    System.arraycopy(w, from, out, to, cols);
                }
            }
        }
        return out;
    }

    /** Q8_0 blocks (float16 scale, 32 signed bytes) of the matrix, as Stride's quantizer rounds them. */
    private static byte[] q8Blocks(float[] values, int rows, int cols) {
        PackedQ8Matrix q = PackedQ8Matrix.quantize(new ArrayMatrix(values, rows, cols));
        int blocks = cols / PackedQ8Matrix.BLOCK;
        ByteBuffer out = ByteBuffer.allocate(rows * blocks * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                out.putShort(HalfFloats.f32ToF16(q.scale(r, b)));
                for (int i = 0; i < PackedQ8Matrix.BLOCK; i++) {
                    out.put((byte) q.quant(r, b * PackedQ8Matrix.BLOCK + i));
                }
            }
        }
        return out.array();
    }

    private static byte[] encode(float[] values, DType dtype) {
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (dtype == DType.F16) {
                out.putShort(HalfFloats.f32ToF16(v));
            } else {
                out.putFloat(v);
            }
        }
        return out.array();
    }

    /**
     * tokenizer.json's vocabulary and merges, its added tokens as control tokens, BOS/EOS by id. A vocabulary that
     * is not BPE (random-model's word-level one) is written with model "none", which the import refuses without
     * {@code --tokenizer}.
     */
    private static void tokenizer(GgufTestWriter w, Path modelDir) {
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode tokenizer = json.readTree(modelDir.resolve("tokenizer.json").toFile());
            Path configFile = modelDir.resolve("tokenizer_config.json");
            JsonNode config = Files.exists(configFile) ? json.readTree(configFile.toFile()) : json.createObjectNode();
            JsonNode vocab = tokenizer.path("model").path("vocab");
            String[] tokens = new String[vocab.size()];
            vocab.properties().forEach(e -> tokens[e.getValue().asInt()] = e.getKey());
            int[] types = new int[tokens.length];
            java.util.Arrays.fill(types, 1);
            for (JsonNode added : tokenizer.path("added_tokens")) {
                types[added.path("id").asInt()] = added.path("special").asBoolean() ? 3 : 4;
            }
            List<String> merges = new ArrayList<>();
            tokenizer.path("model").path("merges").forEach(m -> merges.add(m.asText()));
            boolean bpe = tokenizer.path("model").path("type").asText().equals("BPE");
            w.put("tokenizer.ggml.model", bpe ? "gpt2" : "none")
                    .put("tokenizer.ggml.pre", "gpt-2")
                    .put("tokenizer.ggml.tokens", List.of(tokens))
                    .put("tokenizer.ggml.token_type", types)
                    .put("tokenizer.ggml.merges", merges)
                    .put("tokenizer.ggml.add_bos_token", config.path("add_bos_token").asBoolean());
            for (String special : new String[] {"bos", "eos"}) {
                if (config.has(special + "_token")) {
                    w.put("tokenizer.ggml." + special + "_token_id", vocab.path(config.path(special + "_token")
                            .asText()).asInt());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
