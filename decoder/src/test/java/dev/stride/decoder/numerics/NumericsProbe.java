package dev.stride.decoder.numerics;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.engine.TokenLogprob;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;

/**
 * Runs in a forked JVM (see {@link ForkedJvmNumericsTest}) and prints one line per case: a hash of every bit that
 * reaches a user (all logits of every pass; tokens and log-probabilities of whole decodes). The test starts it under
 * different JIT tiers and vector widths and compares the lines. {@code rounds} > 1 repeats everything in one
 * process (the kernels move from the interpreter through C1 to C2 on the way) and exits with status 3 if a round
 * differs from the first.
 *
 * <p>Arguments: {@code micro|tiny|all} (the smallest random model; all random models; those and the bundled demo
 * model with its heads) and the number of rounds.
 */
public final class NumericsProbe {

    public static void main(String[] args) throws Exception {
        String scope = args[0];
        int rounds = Integer.parseInt(args[1]);
        Path dir = Files.createTempDirectory("stride-numerics");
        try {
            Map<String, String> first = null;
            for (int round = 0; round < rounds; round++) {
                Map<String, String> hashes = run(dir, scope);
                if (first == null) {
                    first = hashes;
                } else if (!first.equals(hashes)) {
                    System.out.println("round " + round + " differs from round 0: " + hashes + " vs " + first);
                    System.exit(3);
                }
            }
            System.out.println("# vector-bits " + FloatVector.SPECIES_PREFERRED.vectorBitSize());
            first.forEach((name, hash) -> System.out.println(name + " " + hash));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Map<String, String> run(Path dir, String scope) {
        Map<String, String> hashes = new LinkedHashMap<>();
        // Widths that are not multiples of any vector (tails everywhere), grouped-query and sliding-window
        // attention, q/k/v biases; each written as BF16 and held in every layout (8-bit too), and as F16, streamed
        // and in F16 panels.
        List<ModelConfig> shapes = List.of(
                TinyModels.config(Architecture.LLAMA, 72, 6, 2, 2, 301, 96, 0),
                TinyModels.config(Architecture.QWEN2, 48, 4, 4, 2, 130, 96, 0),
                TinyModels.config(Architecture.MISTRAL, 40, 2, 1, 1, 97, 96, 12));
        for (int s = scope.equals("micro") ? shapes.size() - 1 : 0; s < shapes.size(); s++) {
            ModelConfig config = shapes.get(s);
            ModelWeights random = TinyModels.weights(config, 100 + s);
            for (DType dtype : new DType[] {DType.BF16, DType.F16}) {
                Path modelDir = dir.resolve("shape" + s + "-" + dtype);
                if (!Files.exists(modelDir)) {
                    ModelDirs.write(modelDir, config, random, dtype);
                }
                for (WeightLayout layout : WeightLayout.values()) {
                    boolean f16Layout = layout == WeightLayout.STREAMED || layout == WeightLayout.PACKED_FLOAT16;
                    boolean f16 = dtype == DType.F16;
                    if (f16 && !f16Layout || !f16 && layout == WeightLayout.PACKED_FLOAT16
                            || layout == WeightLayout.Q8_KEEP_HEAD) {
                        continue; // F16's other layouts are BF16's; q8-keep-head is Q8 plus BF16 panels
                    }
                    try (TensorStore store = TensorStore.openDirectory(modelDir)) {
                        ModelWeights weights = ModelLoader.weights(config, store, layout);
                        hashes.put("shape" + s + "/" + dtype + "/" + layout, logitsHash(config, weights));
                    }
                }
            }
        }
        if (scope.equals("all")) {
            demo(hashes);
        }
        return hashes;
    }

    /** All logits of a 21-token prefill, 9 one-token steps, then passes of 2, 3 and 4 rows that see each other. */
    private static String logitsHash(ModelConfig config, ModelWeights weights) {
        try (ComputePool pool = new ComputePool(2)) {
            Transformer transformer = new Transformer(config, weights, new VectorOps(pool), pool);
            KvCacheBudget budget = transformer.kvCacheBudget(16L << 20);
            KvCache cache = budget.tryAllocate(64);
            PassOutput out = transformer.newOutput();
            SplittableRandom random = new SplittableRandom(5);
            Hash hash = new Hash();
            int position = 0;
            PassBatch batch = new PassBatch();
            for (; position < 21; position++) {
                batch.addCausal(cache, random.nextInt(config.vocabSize()), position, true);
            }
            for (int pass = 0; pass < 12; pass++) {
                transformer.forward(batch, out);
                hash.floats(out.logits(), 0, batch.logitRows() * config.vocabSize());
                int rows = pass < 9 ? 1 : pass - 7;
                batch.clear();
                for (int r = 0; r < rows; r++, position++) {
                    batch.addCausal(cache, random.nextInt(config.vocabSize()), position, true);
                }
            }
            budget.release(cache);
            return hash.hex();
        }
    }

    /** The bundled model and heads: tokens and log-probabilities, plain and multi-token, greedy and sampled. */
    private static void demo(Map<String, String> hashes) {
        Path heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), heads, 2, "cpu", 64L << 20))) {
            List<Fixtures.Reference> references = Fixtures.references().subList(0, 6);
            SamplingParams sampled = new SamplingParams(0.9f, 40, 0.9f, 17);
            for (SamplingParams sampling : new SamplingParams[] {SamplingParams.GREEDY, sampled}) {
                String kind = sampling.greedy() ? "greedy" : "sampled";
                hashes.put("demo/" + kind + "/plain", decodeHash(engine, references, sampling, DecodingMode.AR, "auto"));
                hashes.put("demo/" + kind + "/chain:2", decodeHash(engine, references, sampling, DecodingMode.MTP,
                        "chain:2"));
                hashes.put("demo/" + kind + "/nodes:8", decodeHash(engine, references, sampling, DecodingMode.MTP,
                        "nodes:8"));
            }
        }
    }

    private static String decodeHash(Engine engine, List<Fixtures.Reference> references, SamplingParams sampling,
                                     DecodingMode mode, String tree) {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < references.size(); i++) {
            requests.add(new GenerationRequest(String.valueOf(i), references.get(i).promptIds(), 32, sampling,
                    List.of(), true, 5));
        }
        Map<String, GenerationResult> results = new LinkedHashMap<>();
        try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(mode, tree, 4))) {
            requests.forEach(decoder::submit);
            decoder.runToCompletion().forEach(r -> results.put(r.id(), r));
        }
        Hash hash = new Hash();
        for (GenerationRequest request : requests) {
            GenerationResult r = results.get(request.id());
            hash.ints(r.completionIds());
            for (TokenLogprob t : r.logprobs()) {
                hash.ints(new int[] {t.id()});
                hash.floats(new float[] {t.logprob()}, 0, 1);
                hash.ints(t.topIds());
                hash.floats(t.topLogprobs(), 0, t.topLogprobs().length);
            }
        }
        return hash.hex();
    }

    /** 64-bit FNV-1a over raw bits. */
    private static final class Hash {
        private long h = 0xcbf29ce484222325L;

        void floats(float[] values, int from, int to) {
            for (int i = from; i < to; i++) {
                mix(Float.floatToRawIntBits(values[i]));
            }
        }

        void ints(int[] values) {
            for (int v : values) {
                mix(v);
            }
        }

        private void mix(int value) {
            h = (h ^ value) * 0x100000001b3L;
        }

        String hex() {
            return String.format("%016x", h);
        }
    }
}
