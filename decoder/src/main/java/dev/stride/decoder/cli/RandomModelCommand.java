package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.ModelDirectories;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code stride random-model}: a Llama-shaped model directory with random weights, for measuring speed on shapes
 * whose weights do not fit in cache. Written shard by shard so even an 8B shape never sits on the heap whole.
 * Includes a word-level tokenizer ("w123" is token 123) so every command works on it.
 */
@Command(name = "random-model", mixinStandardHelpOptions = true,
        description = "Write a random-weight Llama model of a realistic shape (for benchmarks).")
public final class RandomModelCommand implements Callable<Integer> {

    /** Llama-family shapes; parameter counts include one (tied) embedding unless untied. */
    enum Shape {
        TINY(256, 4, 4, 4, 688, 4096, true),
        M110(768, 12, 12, 12, 2048, 32000, true),
        M350(1024, 24, 16, 16, 2816, 32000, true),
        B1(2048, 16, 32, 8, 8192, 128256, true),
        B8(4096, 32, 32, 8, 14336, 128256, false);

        final int hidden;
        final int layers;
        final int heads;
        final int kvHeads;
        final int intermediate;
        final int vocab;
        final boolean tied;

        Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, int vocab, boolean tied) {
            this.hidden = hidden;
            this.layers = layers;
            this.heads = heads;
            this.kvHeads = kvHeads;
            this.intermediate = intermediate;
            this.vocab = vocab;
            this.tied = tied;
        }

        static Shape parse(String text) {
            return switch (text.toLowerCase(java.util.Locale.ROOT)) {
                case "tiny" -> TINY;
                case "110m" -> M110;
                case "350m" -> M350;
                case "1b" -> B1;
                case "8b" -> B8;
                default -> throw new UsageException("--shape " + text + ": expected tiny, 110m, 350m, 1b or 8b");
            };
        }
    }

    private static final long SHARD_BYTES = 1L << 30;

    @Option(names = "--out", required = true, description = "Directory to create (must be empty or absent).")
    Path out;

    @Option(names = "--shape", required = true, description = "tiny, 110m, 350m, 1b or 8b.")
    String shapeName;

    @Option(names = "--dtype", defaultValue = "bf16", converter = DTypeConverter.class,
            description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
    DType dtype;

    @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    private record Tensor(String name, long[] shape, float std, float mean) {
        long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    @Override
    public Integer call() throws IOException {
        Shape shape = Shape.parse(shapeName);
        ModelDirectories.checkEmptyOrAbsent(out);
        Files.createDirectories(out);
        List<Tensor> tensors = tensors(shape);
        List<List<Tensor>> shards =
                SafetensorsWriter.shards(tensors, t -> t.elements() * dtype.byteSize(), SHARD_BYTES);
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, String> weightMap = new LinkedHashMap<>();
        long totalBytes = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = SafetensorsWriter.shardName(s, shards.size());
            SafetensorsWriter writer = new SafetensorsWriter();
            for (Tensor t : shards.get(s)) {
                writer.putRaw(t.name, dtype, t.shape, randomBytes(t, dtype, random));
                weightMap.put(t.name, file);
                totalBytes += t.elements() * dtype.byteSize();
            }
            writer.metadata("format", "pt");
            writer.write(out.resolve(file));
            System.err.printf("wrote %s (%d/%d)%n", file, s + 1, shards.size());
        }
        ObjectMapper json = new ObjectMapper();
        if (shards.size() > 1) {
            SafetensorsWriter.writeIndex(out, totalBytes, weightMap);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(out.resolve("config.json").toFile(), config(json, shape, dtype));
        ObjectNode generation = json.createObjectNode().put("bos_token_id", 0).put("eos_token_id", 1);
        json.writeValue(out.resolve("generation_config.json").toFile(), generation);
        json.writeValue(out.resolve("tokenizer.json").toFile(), wordLevelTokenizer(json, shape.vocab));
        System.out.printf("random %s model (%s, %.1f MB of weights) in %s%n", shapeName, dtype, totalBytes / 1e6, out);
        return 0;
    }

    private static List<Tensor> tensors(Shape s) {
        List<Tensor> list = new ArrayList<>();
        int headDim = s.hidden / s.heads;
        float std = 0.02f;
        list.add(new Tensor("model.embed_tokens.weight", new long[] {s.vocab, s.hidden}, std, 0));
        for (int i = 0; i < s.layers; i++) {
            String p = "model.layers." + i + ".";
            list.add(new Tensor(p + "input_layernorm.weight", new long[] {s.hidden}, 0, 1));
            list.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {(long) s.heads * headDim, s.hidden}, std, 0));
            list.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {(long) s.kvHeads * headDim, s.hidden}, std, 0));
            list.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {(long) s.kvHeads * headDim, s.hidden}, std, 0));
            list.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {s.hidden, (long) s.heads * headDim}, std, 0));
            list.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {s.hidden}, 0, 1));
            list.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {s.intermediate, s.hidden}, std, 0));
            list.add(new Tensor(p + "mlp.up_proj.weight", new long[] {s.intermediate, s.hidden}, std, 0));
            list.add(new Tensor(p + "mlp.down_proj.weight", new long[] {s.hidden, s.intermediate}, std, 0));
        }
        list.add(new Tensor("model.norm.weight", new long[] {s.hidden}, 0, 1));
        if (!s.tied) {
            list.add(new Tensor("lm_head.weight", new long[] {s.vocab, s.hidden}, std, 0));
        }
        return list;
    }

    /** Uniform noise with the tensor's standard deviation (sqrt(3) * std half-width): cheap and never denormal. */
    private static byte[] randomBytes(Tensor t, DType dtype, SplittableRandom random) {
        long n = t.elements();
        ByteBuffer bytes = ByteBuffer.allocate(Math.toIntExact(n * dtype.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        float halfWidth = (float) (Math.sqrt(3) * t.std);
        for (long i = 0; i < n; i++) {
            float v = t.mean + halfWidth * (float) (2 * random.nextDouble() - 1);
            switch (dtype) {
                case F32 -> bytes.putFloat(v);
                case F16 -> bytes.putShort(HalfFloats.f32ToF16(v));
                case BF16 -> bytes.putShort(HalfFloats.f32ToBf16(v));
            }
        }
        return bytes.array();
    }

    private static ObjectNode config(ObjectMapper json, Shape s, DType dtype) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", s.hidden);
        c.put("intermediate_size", s.intermediate);
        c.put("num_hidden_layers", s.layers);
        c.put("num_attention_heads", s.heads);
        c.put("num_key_value_heads", s.kvHeads);
        c.put("head_dim", s.hidden / s.heads);
        c.put("vocab_size", s.vocab);
        c.put("max_position_embeddings", 4096);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 500000.0);
        c.put("tie_word_embeddings", s.tied);
        c.put("hidden_act", "silu");
        c.put("bos_token_id", 0);
        c.put("eos_token_id", 1);
        c.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return c;
    }

    /** A word-level tokenizer: "<s>" 0, "</s>" 1, "<unk>" 2, then "w3" ... so random prompts can be written as text. */
    private static ObjectNode wordLevelTokenizer(ObjectMapper json, int vocab) {
        ObjectNode t = json.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        String[] special = {"<s>", "</s>", "<unk>"};
        for (int i = 0; i < special.length; i++) {
            added.addObject().put("id", i).put("content", special[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        t.putNull("normalizer");
        t.putObject("pre_tokenizer").put("type", "Whitespace");
        t.putNull("post_processor");
        t.putNull("decoder");
        ObjectNode model = t.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode words = model.putObject("vocab");
        for (int i = 0; i < vocab; i++) {
            words.put(i < special.length ? special[i] : "w" + i, i);
        }
        model.put("unk_token", "<unk>");
        return t;
    }
}
