package dev.stride.decoder.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Imports a Llama-family GGUF file as a Hugging Face model directory, which every Stride command and the Spark job
 * read: {@code config.json} from the {@code llama.*} metadata, tokenizer files from {@code tokenizer.*} (see
 * {@link GgufTokenizer}) or copied from a directory the caller names, and safetensors holding every tensor under
 * its Hugging Face name.
 *
 * <p>F32, F16 and BF16 tensors are copied bit for bit. Q8_0 tensors are dequantized to F32, exactly: q * scale has
 * at most 7 + 11 significant bits. Stride's own Q8_0 quantizer ({@code --weights q8}) then gets the file's blocks
 * back bit for bit wherever a block's largest |q| is 127, which is what llama.cpp's quantizer writes (scale =
 * max|w| / 127); the import counts the blocks where that does not hold. The query and key projections are
 * un-permuted: llama.cpp's converter reorders each head's rows so that rotary pairs are adjacent rows (2j, 2j + 1),
 * where Hugging Face Llama pairs row j with row j + headDim / 2.
 */
public final class GgufImport {

    private static final String HF_ARCHITECTURE = "LlamaForCausalLM";
    private static final List<String> TOKENIZER_FILES =
            List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json");

    /** What an import wrote. */
    public record Result(ModelConfig config, Set<GgmlType> types, int shards, long bytes, long q8BlocksNotAt127) {
    }

    private record Planned(String hfName, GgufTensor tensor, int rotaryHeads) {

        DType outputType() {
            return switch (tensor.type()) {
                case F32, Q8_0 -> DType.F32;
                case F16 -> DType.F16;
                case BF16 -> DType.BF16;
            };
        }

        long outputBytes() {
            return tensor.rows() * tensor.cols() * outputType().byteSize();
        }

        long[] hfShape() {
            long[] dims = tensor.dims();
            long[] shape = new long[dims.length];
            for (int d = 0; d < dims.length; d++) {
                shape[d] = dims[dims.length - 1 - d];
            }
            return shape;
        }
    }

    private GgufImport() {
    }

    /**
     * Writes the model in {@code gguf} to {@code out} (created; it must not hold files yet), in safetensors shards
     * of at most {@code maxShardBytes} (one file if it all fits). {@code tokenizerDir}, if not null, supplies
     * tokenizer.json (and tokenizer_config.json, generation_config.json where present) instead of the metadata.
     */
    public static Result run(Path gguf, Path out, Path tokenizerDir, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        }
        try (GgufFile file = GgufFile.open(gguf)) {
            String architecture = file.require("general.architecture", String.class);
            if (!architecture.equals("llama")) {
                throw new GgufException(gguf + ": general.architecture '" + architecture
                        + "' is not supported (Stride imports the llama family)");
            }
            ModelConfig config = GgufConfig.of(file);
            List<Planned> plan = plan(file, config);
            prepare(out);
            long q8Outliers = 0;
            long bytes = 0;
            List<List<Planned>> shards = shards(plan, maxShardBytes);
            Map<String, String> weightMap = new LinkedHashMap<>();
            for (int s = 0; s < shards.size(); s++) {
                String name = shards.size() == 1 ? "model.safetensors"
                        : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
                SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt")
                        .metadata("source", "gguf:" + gguf.getFileName());
                for (Planned p : shards.get(s)) {
                    Converted converted = convert(file, p);
                    q8Outliers += converted.q8BlocksNotAt127;
                    writer.putRaw(p.hfName(), p.outputType(), p.hfShape(), converted.bytes);
                    weightMap.put(p.hfName(), name);
                    bytes += converted.bytes.length;
                }
                writer.write(out.resolve(name));
            }
            if (shards.size() > 1) {
                SafetensorsWriter.writeIndex(out, bytes, weightMap);
            }
            ObjectMapper json = new ObjectMapper();
            json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(),
                    configJson(json, config, dominantType(plan)));
            writeTokenizer(file, out, tokenizerDir, json);
            Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
            plan.forEach(p -> types.add(p.tensor().type()));
            return new Result(config, types, shards.size(), bytes, q8Outliers);
        } catch (IOException e) {
            throw new GgufException("cannot write " + out + ": " + e, e);
        }
    }

    /** Every tensor of the file under its Hugging Face name, checked against the config's shapes. */
    private static List<Planned> plan(GgufFile f, ModelConfig c) {
        Map<String, Planned> byGgufName = new LinkedHashMap<>();
        int h = c.hiddenSize();
        expect(byGgufName, f, "token_embd.weight", "model.embed_tokens.weight", 0, c.vocabSize(), h);
        expect(byGgufName, f, "output_norm.weight", "model.norm.weight", 0, h);
        if (!c.tiedEmbeddings()) {
            expect(byGgufName, f, "output.weight", "lm_head.weight", 0, c.vocabSize(), h);
        }
        for (int i = 0; i < c.numLayers(); i++) {
            String g = "blk." + i + ".";
            String p = "model.layers." + i + ".";
            expect(byGgufName, f, g + "attn_norm.weight", p + "input_layernorm.weight", 0, h);
            expect(byGgufName, f, g + "attn_q.weight", p + "self_attn.q_proj.weight", c.numHeads(), c.qDim(), h);
            expect(byGgufName, f, g + "attn_k.weight", p + "self_attn.k_proj.weight", c.numKvHeads(), c.kvDim(), h);
            expect(byGgufName, f, g + "attn_v.weight", p + "self_attn.v_proj.weight", 0, c.kvDim(), h);
            expect(byGgufName, f, g + "attn_output.weight", p + "self_attn.o_proj.weight", 0, h, c.qDim());
            expect(byGgufName, f, g + "ffn_norm.weight", p + "post_attention_layernorm.weight", 0, h);
            expect(byGgufName, f, g + "ffn_gate.weight", p + "mlp.gate_proj.weight", 0, c.intermediateSize(), h);
            expect(byGgufName, f, g + "ffn_up.weight", p + "mlp.up_proj.weight", 0, c.intermediateSize(), h);
            expect(byGgufName, f, g + "ffn_down.weight", p + "mlp.down_proj.weight", 0, h, c.intermediateSize());
        }
        for (String name : f.tensors().keySet()) {
            if (!byGgufName.containsKey(name) && !name.equals(GgufConfig.ROPE_FREQS)) {
                throw new GgufException(f.path() + ": tensor '" + name + "' has no place in a Llama model of "
                        + c.numLayers() + " layers (not imported rather than dropped)");
            }
        }
        // In the file's order, so that the output is read front to back.
        List<Planned> plan = new ArrayList<>();
        f.tensors().keySet().stream().filter(byGgufName::containsKey).forEach(name -> plan.add(byGgufName.get(name)));
        return plan;
    }

    private static void expect(Map<String, Planned> plan, GgufFile f, String ggufName, String hfName,
                               int rotaryHeads, long... hfShape) {
        GgufTensor t = f.tensor(ggufName).orElseThrow(
                () -> new GgufException(f.path() + ": no tensor '" + ggufName + "' (for " + hfName + ")"));
        Planned p = new Planned(hfName, t, rotaryHeads);
        if (!Arrays.equals(p.hfShape(), hfShape)) {
            throw new GgufException(f.path() + ": tensor '" + ggufName + "' has dimensions "
                    + Arrays.toString(t.dims()) + " (innermost first); the metadata's shape needs "
                    + Arrays.toString(hfShape) + " (outermost first)");
        }
        if (t.type() == GgmlType.Q8_0 && hfShape.length == 1) {
            throw new GgufException(f.path() + ": tensor '" + ggufName + "' is a Q8_0 vector; norms must be F32,"
                    + " F16 or BF16");
        }
        plan.put(ggufName, p);
    }

    private record Converted(byte[] bytes, long q8BlocksNotAt127) {
    }

    /** The tensor's rows in Hugging Face order, in its output type. */
    private static Converted convert(GgufFile f, Planned p) {
        GgufTensor t = p.tensor();
        if (p.outputBytes() > Integer.MAX_VALUE - 8) {
            throw new GgufException(f.path() + ": tensor '" + t.name() + "' would take " + p.outputBytes()
                    + " bytes as " + p.outputType() + "; tensors over 2 GB are not supported");
        }
        ByteBuffer src = f.data(t);
        int rows = (int) t.rows();
        int cols = (int) t.cols();
        int rowBytes = (int) t.rowBytes();
        int headDim = p.rotaryHeads() > 0 ? rows / p.rotaryHeads() : 0;
        byte[] dst = new byte[(int) p.outputBytes()];
        ByteBuffer out = ByteBuffer.wrap(dst).order(ByteOrder.LITTLE_ENDIAN);
        long outliers = 0;
        for (int r = 0; r < rows; r++) {
            int from = (p.rotaryHeads() > 0 ? ggufRowOf(r, headDim) : r) * rowBytes;
            if (t.type() != GgmlType.Q8_0) {
                src.get(from, dst, r * rowBytes, rowBytes);
                continue;
            }
            for (int b = 0; b < cols / 32; b++) {
                int block = from + b * GgmlType.Q8_0.blockBytes();
                float scale = HalfFloats.f16ToF32(src.getShort(block));
                int largest = 0;
                for (int i = 0; i < 32; i++) {
                    byte q = src.get(block + 2 + i);
                    largest = Math.max(largest, Math.abs(q));
                    out.putFloat((r * cols + b * 32 + i) * Float.BYTES, q * scale);
                }
                if (largest != 0 && largest != 127) {
                    outliers++;
                }
            }
        }
        return new Converted(dst, outliers);
    }

    /**
     * The GGUF row that holds Hugging Face row {@code r} of a rotary projection: within a head, HF row
     * t * headDim / 2 + j (t = 0, 1) sits at row 2j + t, as llama.cpp's converter arranges it.
     */
    static int ggufRowOf(int r, int headDim) {
        int half = headDim / 2;
        int head = r / headDim;
        int within = r % headDim;
        return head * headDim + 2 * (within % half) + within / half;
    }

    private static List<List<Planned>> shards(List<Planned> plan, long maxShardBytes) {
        List<List<Planned>> shards = new ArrayList<>();
        List<Planned> current = new ArrayList<>();
        long currentBytes = 0;
        for (Planned p : plan) {
            if (!current.isEmpty() && currentBytes + p.outputBytes() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(p);
            currentBytes += p.outputBytes();
        }
        shards.add(current);
        return shards;
    }

    private static void prepare(Path out) throws IOException {
        if (Files.isDirectory(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    throw new GgufException(out + ": output directory is not empty (the import writes a whole model"
                            + " directory and overwrites nothing)");
                }
            }
        }
        Files.createDirectories(out);
    }

    /** torch_dtype for config.json: the type most matrix bytes are written in. */
    private static DType dominantType(List<Planned> plan) {
        Map<DType, Long> bytes = new LinkedHashMap<>();
        plan.forEach(p -> bytes.merge(p.outputType(), p.outputBytes(), Long::sum));
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    private static ObjectNode configJson(ObjectMapper json, ModelConfig c, DType dtype) {
        ObjectNode node = json.createObjectNode();
        node.putArray("architectures").add(HF_ARCHITECTURE);
        node.put("model_type", "llama");
        node.put("hidden_size", c.hiddenSize());
        node.put("intermediate_size", c.intermediateSize());
        node.put("num_hidden_layers", c.numLayers());
        node.put("num_attention_heads", c.numHeads());
        node.put("num_key_value_heads", c.numKvHeads());
        node.put("head_dim", c.headDim());
        node.put("vocab_size", c.vocabSize());
        node.put("max_position_embeddings", c.maxPositions());
        node.put("rms_norm_eps", (double) c.rmsNormEps());
        node.put("rope_theta", c.ropeTheta());
        node.put("tie_word_embeddings", c.tiedEmbeddings());
        node.put("hidden_act", "silu");
        RopeScaling rope = c.ropeScaling();
        if (rope.type().equals("linear")) {
            node.putObject("rope_scaling").put("rope_type", "linear").put("factor", rope.factor());
        } else if (rope.type().equals("llama3")) {
            node.putObject("rope_scaling").put("rope_type", "llama3").put("factor", rope.factor())
                    .put("low_freq_factor", rope.lowFreqFactor()).put("high_freq_factor", rope.highFreqFactor())
                    .put("original_max_position_embeddings", rope.originalMaxPositions());
        }
        node.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return node;
    }

    private static void writeTokenizer(GgufFile f, Path out, Path tokenizerDir, ObjectMapper json)
            throws IOException {
        if (tokenizerDir != null) {
            if (!Files.isRegularFile(tokenizerDir.resolve(TOKENIZER_FILES.get(0)))) {
                throw new GgufException(tokenizerDir + ": no tokenizer.json to copy");
            }
            for (String name : TOKENIZER_FILES) {
                if (Files.isRegularFile(tokenizerDir.resolve(name))) {
                    Files.copy(tokenizerDir.resolve(name), out.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
            return;
        }
        GgufTokenizer tokenizer = new GgufTokenizer(f);
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("tokenizer.json").toFile(),
                tokenizer.tokenizerJson());
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("tokenizer_config.json").toFile(),
                tokenizer.tokenizerConfig());
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("generation_config.json").toFile(),
                tokenizer.generationConfig());
    }
}
