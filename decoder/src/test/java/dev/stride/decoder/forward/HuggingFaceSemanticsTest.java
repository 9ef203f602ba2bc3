package dev.stride.decoder.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.cuda.CudaForward;
import dev.stride.decoder.cuda.CudaProbe;
import dev.stride.decoder.cuda.SimGpu;
import dev.stride.decoder.cuda.TestGpus;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.ModelDirs.Tensor;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * config.json variants of the supported families, loaded as a user's model directory is and run against
 * {@link HuggingFaceReference}: positions, rotary variants, head shapes, grouped-query attention, biases, tied
 * embeddings and sliding windows as transformers computes them. On the CPU, and on the CUDA backend through its
 * emulator (and the device where there is one) for the shapes that backend takes.
 */
class HuggingFaceSemanticsTest {

    @TempDir
    Path dir;

    /** A config.json with the given shapes; variants add their keys. */
    private static ObjectNode config(Architecture arch, int hidden, int heads, int kvHeads, Integer headDim,
                                     int inter, int layers, int vocab, boolean tied) {
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.putArray("architectures").add(arch.hfName());
        json.put("hidden_size", hidden).put("num_attention_heads", heads).put("num_key_value_heads", kvHeads)
                .put("intermediate_size", inter).put("num_hidden_layers", layers).put("vocab_size", vocab)
                .put("max_position_embeddings", 512).put("rms_norm_eps", 1e-5).put("hidden_act", "silu")
                .put("tie_word_embeddings", tied).put("rope_theta", 10000.0);
        if (headDim != null) {
            json.put("head_dim", headDim);
        }
        if (arch == Architecture.MISTRAL) {
            json.putNull("sliding_window");
        }
        return json;
    }

    private static ObjectNode llama() {
        return config(Architecture.LLAMA, 32, 4, 2, null, 40, 2, 61, false);
    }

    private static ObjectNode scaling(ObjectNode json, String spec) {
        try {
            json.set("rope_scaling", new ObjectMapper().readTree(spec));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return json;
    }

    static Stream<Arguments> variants() {
        ObjectNode llama3 = config(Architecture.LLAMA, 32, 2, 1, 16, 40, 2, 61, false).put("rope_theta", 500000.0);
        // wavelengths 6.3, 33, 174, ...: one pair above, one inside, the rest below the band of [16, 64]
        scaling(llama3, "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                + " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}");
        ObjectNode v5 = config(Architecture.MISTRAL, 32, 4, 1, 12, 40, 2, 61, false);
        v5.remove("rope_theta");
        v5.putObject("rope_parameters").put("rope_type", "linear").put("factor", 2.0).put("rope_theta", 1e6);
        ObjectNode llama3v5 = llama3.deepCopy();
        llama3v5.remove("rope_theta");
        llama3v5.set("rope_parameters", ((ObjectNode) llama3v5.remove("rope_scaling")).put("rope_theta", 500000.0));
        ObjectNode qwenTypes = config(Architecture.QWEN2, 32, 4, 1, null, 40, 3, 53, true)
                .put("use_sliding_window", true).put("sliding_window", 6).put("max_window_layers", 99);
        qwenTypes.putArray("layer_types").add("sliding_attention").add("sliding_attention").add("sliding_attention");
        return Stream.of(
                Arguments.of("llama plain, GQA", llama(), 70),
                Arguments.of("llama head_dim 12 != 32 / 4, theta 1e6, MQA",
                        config(Architecture.LLAMA, 32, 4, 1, 12, 40, 2, 61, false).put("rope_theta", 1e6), 70),
                Arguments.of("llama theta 1e9", llama().put("rope_theta", 1e9), 40),
                Arguments.of("llama linear 4", scaling(llama().put("rope_theta", 500000.0),
                        "{\"type\": \"linear\", \"factor\": 4.0}"), 70),
                Arguments.of("llama3 past original_max_position_embeddings", llama3, 150),
                Arguments.of("llama3 in rope_parameters", llama3v5, 100),
                Arguments.of("odd shapes: hidden 24, 3 heads of 6, inter 37, MHA, tied",
                        config(Architecture.LLAMA, 24, 3, 3, null, 37, 1, 53, true), 50),
                Arguments.of("mistral window 5", config(Architecture.MISTRAL, 32, 4, 2, null, 40, 2, 47, false)
                        .put("sliding_window", 5), 40),
                Arguments.of("mistral window 1", config(Architecture.MISTRAL, 32, 4, 2, null, 40, 1, 47, false)
                        .put("sliding_window", 1), 20),
                Arguments.of("mistral window 17 over blocks", config(Architecture.MISTRAL, 32, 4, 4, null, 40, 1,
                        47, false).put("sliding_window", 17), 90),
                Arguments.of("mistral v5 rope_parameters linear, head_dim 12", v5, 60),
                Arguments.of("qwen2 biases, tied, max_window_layers 0", config(Architecture.QWEN2, 32, 4, 2, null,
                        40, 2, 53, true).put("use_sliding_window", true).put("sliding_window", 7)
                        .put("max_window_layers", 0), 40),
                Arguments.of("qwen2 layer_types all sliding", qwenTypes, 40),
                Arguments.of("qwen2 sliding disabled", config(Architecture.QWEN2, 32, 4, 1, null, 40, 2, 53, false)
                        .put("use_sliding_window", false).put("sliding_window", 3).put("max_window_layers", 0),
                        30));
    }

    /** Loads the variant's directory: random weights in the config's shapes, written as a Hugging Face checkpoint. */
    private Map<String, Tensor> write(ObjectNode json, long seed) {
        int hidden = json.get("hidden_size").asInt();
        int heads = json.get("num_attention_heads").asInt();
        int headDim = json.hasNonNull("head_dim") ? json.get("head_dim").asInt() : hidden / heads;
        Architecture arch = Architecture.fromHfName(json.get("architectures").get(0).asText(), "test");
        // A shape for TinyModels and ModelDirs alone: the model under test reads config.json.
        ModelConfig shape = new ModelConfig(arch, hidden, json.get("intermediate_size").asInt(),
                json.get("num_hidden_layers").asInt(), heads, json.get("num_key_value_heads").asInt(), headDim,
                json.get("vocab_size").asInt(), 1e-5f, 1e4, RopeScaling.NONE, 512,
                json.get("tie_word_embeddings").asBoolean(), arch.qkvBias(), 0);
        ModelWeights weights = TinyModels.weights(shape, seed);
        Map<String, Tensor> tensors = ModelDirs.tensors(shape, weights);
        ModelDirs.writeConfig(dir, json);
        ModelDirs.writer(tensors, DType.F32).write(dir.resolve("model.safetensors"));
        return tensors;
    }

    private static float[] prefill(ForwardBackend t, int[] tokens, int chunk) {
        int vocab = t.config().vocabSize();
        KvCache cache = t.kvCacheBudget(1 << 26).tryAllocate(tokens.length);
        float[] logits = new float[tokens.length * vocab];
        PassBatch batch = new PassBatch();
        for (int start = 0; start < tokens.length; start += chunk) {
            batch.clear();
            int end = Math.min(tokens.length, start + chunk);
            for (int p = start; p < end; p++) {
                batch.addCausal(cache, tokens[p], p, true);
            }
            PassOutput out = t.forward(batch);
            System.arraycopy(out.logits(), 0, logits, start * vocab, (end - start) * vocab);
        }
        return logits;
    }

    /**
     * Every position's logits within float32's error of the float64 reference: the error is measured against the
     * logits' spread, and a wrong window, frequency or head mapping moves logits by a good part of that spread.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void logitsMatchTheFloat64Reference(String name, ObjectNode json, int length) {
        Map<String, Tensor> tensors = write(json, name.hashCode());
        int vocab = json.get("vocab_size").asInt();
        int[] tokens = new Random(name.hashCode()).ints(length, 0, vocab).toArray();
        double[][] expected = new HuggingFaceReference(json, tensors).logits(tokens);
        try (Model model = ModelLoader.load(dir); ComputePool pool = new ComputePool(2)) {
            check(name, new Transformer(model.config(), model.weights(), new VectorOps(pool), pool), tokens, expected);
            for (String gpu : TestGpus.names().toList()) {
                if (gpu.equals("sim") ? SimGpu.unavailableReason() == null : CudaProbe.system().probe(0).available()) {
                    try (CudaForward t = CudaForward.open(TestGpus.open(gpu), model.config(), model.weights())) {
                        check(name + " on " + gpu, t, tokens, expected);
                    } catch (IllegalArgumentException e) { // odd shapes: refused, and saying why
                        assertTrue(e.getMessage().startsWith("the CUDA backend needs"), e.getMessage());
                    }
                }
            }
        }
    }

    /**
     * A tree pass under a window shorter than the tree: two branches of depth 4 after a prefix, each node seeing the
     * prefix and its ancestors, so the window cuts into the ancestors. Each branch's logits are the very bits of the
     * branch decoded plainly, and the reference's within float32 error.
     */
    @ParameterizedTest(name = "window {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2, 3, 21, 30})
    void treePassesUnderASlidingWindow(int window) {
        ObjectNode json = config(Architecture.MISTRAL, 32, 4, 2, null, 40, 2, 47, false).put("sliding_window", window);
        Map<String, Tensor> tensors = write(json, window);
        Random random = new Random(window);
        int prefix = 20;
        int depth = 4;
        int[] tokens = random.ints(prefix + 2 * depth, 0, 47).toArray(); // the prefix, then branch a, then branch b
        try (Model model = ModelLoader.load(dir); ComputePool pool = new ComputePool(2)) {
            treePass(new Transformer(model.config(), model.weights(), new VectorOps(pool), pool), json, tensors,
                    tokens, prefix, depth);
            if (SimGpu.unavailableReason() == null) {
                try (CudaForward t = CudaForward.open(new SimGpu(), model.config(), model.weights())) {
                    treePass(t, json, tensors, tokens, prefix, depth);
                }
            }
        }
    }

    private static void treePass(ForwardBackend t, ObjectNode json, Map<String, Tensor> tensors, int[] tokens,
                                 int prefix, int depth) {
        int vocab = t.config().vocabSize();
        KvCache cache = t.kvCacheBudget(1 << 26).tryAllocate(tokens.length);
        PassBatch batch = new PassBatch();
        for (int p = 0; p < prefix; p++) {
            batch.addCausal(cache, tokens[p], p, false);
        }
        t.forward(batch);
        batch.clear();
        for (int branch = 0; branch < 2; branch++) {
            for (int d = 0; d < depth; d++) {
                int first = prefix + branch * depth;
                int[] path = java.util.stream.IntStream.rangeClosed(first, first + d).toArray();
                batch.add(cache, tokens[first + d], prefix + d, first + d, prefix, path, path.length, true);
            }
        }
        PassOutput out = t.forward(batch);
        for (int branch = 0; branch < 2; branch++) {
            int[] sequence = Arrays.copyOf(tokens, prefix + depth);
            System.arraycopy(tokens, prefix + branch * depth, sequence, prefix, depth);
            float[] plain = prefill(t, sequence, 1);
            double[][] expected = new HuggingFaceReference(json, tensors).logits(sequence);
            for (int d = 0; d < depth; d++) {
                int row = branch * depth + d;
                float[] tree = Arrays.copyOfRange(out.logits(), out.logitsOffset(row), out.logitsOffset(row) + vocab);
                int at = (prefix + d) * vocab;
                String what = t.device() + " window " + json.get("sliding_window") + " branch " + branch + " depth "
                        + d;
                assertArrayEquals(Arrays.copyOfRange(plain, at, at + vocab), tree, what);
                double spread = Arrays.stream(expected[prefix + d]).map(Math::abs).max().orElseThrow();
                for (int v = 0; v < vocab; v++) {
                    assertTrue(Math.abs(tree[v] - expected[prefix + d][v]) < 2e-5 * spread, what + " token " + v);
                }
            }
        }
    }

    private static void check(String name, ForwardBackend t, int[] tokens, double[][] expected) {
        int vocab = t.config().vocabSize();
        float[] actual = prefill(t, tokens, tokens.length);
        double worst = 0;
        int worstAt = -1;
        for (int p = 0; p < tokens.length; p++) {
            double spread = 0;
            for (double logit : expected[p]) {
                spread = Math.max(spread, Math.abs(logit));
            }
            for (int v = 0; v < vocab; v++) {
                double error = Math.abs(actual[p * vocab + v] - expected[p][v]) / spread;
                if (error > worst) {
                    worst = error;
                    worstAt = p;
                }
            }
        }
        System.out.printf("%s: worst relative error %.3g at position %d%n", name, worst, worstAt);
        assertTrue(worst < 2e-5, name + ": logits at position " + worstAt + " off by " + worst + " of their spread");
        // A prompt in chunks, or token by token, gives the very same bits as in one pass.
        for (int chunk : new int[] {1, 3, 16, 17}) {
            assertArrayEquals(actual, prefill(t, tokens, chunk), name + ": chunks of " + chunk);
        }
    }
}
