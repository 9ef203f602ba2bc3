package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.CostAwareTree;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.mtp.StaticTree;
import dev.stride.decoder.mtp.TreeShape;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-token output equals plain output across combinations the other equivalence tests do not mix: plain decoding
 * on one thread against multi-token decoding on one to three; float32 arrays, BF16 and F16 panels, streamed weights,
 * q8 and q8 with a full-precision head; heads of their own or shared, quantized for drafting, restricted to a draft
 * vocabulary; chains, node budgets, the static tree, random file trees (deep, ranks up to 9), auto and auto's
 * estimate alone; vocabularies of 3 to 10 tokens (where random heads are often right, so long paths are accepted)
 * beside larger ones with contexts past 256 positions; several end-of-sequence ids; one-token prompts and prompts
 * that fill the context; max_new_tokens of 1, unbounded or ending at the context; near-greedy and wide sampling,
 * top-k past the vocabulary; stop strings that straddle tokens; up to 20 log-probabilities; ignore_eos; requests
 * joining mid-run, submitted in any order, waiting for KV memory.
 */
class ExactnessCombinationsTest {

    private static final int SCENARIOS = 12;

    @Test
    void randomCombinationsMatchPlainDecoding(@TempDir Path dir) {
        List<TensorStore> stores = new ArrayList<>();
        long multiTokenPasses = 0;
        try {
            for (int s = 0; s < SCENARIOS; s++) {
                multiTokenPasses += scenario(new Random(20261206L + s), dir.resolve("model" + s), stores,
                        "scenario " + s);
            }
        } finally {
            stores.forEach(TensorStore::close);
        }
        assertTrue(multiTokenPasses > 100, "passes that accepted a drafted token: " + multiTokenPasses);
    }

    /** One random model, heads and request set, against three multi-token runs; returns their multi-token passes. */
    private static long scenario(Random random, Path dir, List<TensorStore> stores, String what) {
        int heads = new int[] {1, 2, 3, 4}[random.nextInt(4)];
        int kvHeads = heads == 1 || random.nextBoolean() ? 1 : heads / 2;
        if (heads == 3) {
            kvHeads = random.nextBoolean() ? 1 : 3;
        }
        int headDim = new int[] {4, 8, 16, 32}[random.nextInt(4)];
        int window = random.nextInt(3) == 0 ? new int[] {1, 2, 4, 7, 16, 33}[random.nextInt(6)] : 0;
        Architecture arch = window == 0 ? (random.nextBoolean() ? Architecture.LLAMA : Architecture.QWEN2)
                : random.nextBoolean() ? Architecture.MISTRAL : Architecture.QWEN2;
        int vocab = random.nextBoolean() ? 3 + random.nextInt(8) : 9 + random.nextInt(80);
        boolean big = random.nextInt(6) == 0; // prefixes past 256 scores and 16 key blocks
        if (big) {
            heads = 8;
            kvHeads = random.nextBoolean() ? 2 : 8;
            headDim = 32;
            vocab = 100 + random.nextInt(300);
        }
        int layers = big ? 1 : 1 + random.nextInt(2);
        ModelConfig config = TinyModels.config(arch, heads * headDim, heads, kvHeads, layers, vocab,
                big ? 260 + random.nextInt(100) : 6 + random.nextInt(70), window);
        ModelWeights weights = TinyModels.weights(config, random.nextLong());
        int layoutPick = random.nextInt(6);
        if (layoutPick > 0) {
            WeightLayout layout = new WeightLayout[] {WeightLayout.Q8, WeightLayout.PACKED_BFLOAT16,
                WeightLayout.Q8_KEEP_HEAD, WeightLayout.PACKED_FLOAT16, WeightLayout.STREAMED}[layoutPick - 1];
            ModelDirs.write(dir, config, weights, layoutPick == 4 || random.nextBoolean() && layoutPick == 5
                    ? DType.F16 : DType.BF16);
            TensorStore store = TensorStore.openDirectory(dir);
            stores.add(store);
            weights = ModelLoader.weights(config, store, layout);
        }
        int numHeads = 1 + random.nextInt(6);
        MedusaHeads mh = switch (random.nextInt(3)) {
            case 0 -> TinyModels.heads(config, weights, numHeads, 1, random.nextLong());
            case 1 -> TinyModels.sharedProjectionHeads(config, weights, numHeads, 1, random.nextLong());
            default -> TinyModels.tokenInputHeads(config, weights, numHeads, 1, random.nextLong());
        };
        if (random.nextBoolean()) {
            mh = TinyModels.heldForDrafting(mh);
        }
        if (random.nextInt(4) == 0 && vocab > 9) {
            int[] ids = random.ints(0, vocab).distinct().limit(9 + random.nextInt(vocab - 9)).toArray();
            mh = mh.restrictedTo(new DraftVocabulary(ids, 0.5, 10), PackedQ8Matrix::quantize);
        }
        Set<Integer> eos = new HashSet<>();
        for (int k = random.nextInt(3); k > 0; k--) {
            eos.add(random.nextInt(vocab));
        }
        List<GenerationRequest> requests = requests(random, config, 1 + random.nextInt(7));
        String at = what + " " + config + " layout " + layoutPick + " heads " + numHeads + " eos " + eos;
        List<GenerationResult> plain;
        try (ComputePool pool = new ComputePool(1)) {
            Transformer t = new Transformer(config, weights, new VectorOps(pool), pool);
            plain = TestDecoders.runArriving(t, null, eos, 1 + random.nextInt(3), 64L << 20, requests, null);
        }
        long multiTokenPasses = 0;
        for (int round = 0; round < 3; round++) {
            int threads = 1 + random.nextInt(3);
            try (ComputePool pool = new ComputePool(threads)) {
                Transformer t = new Transformer(config, weights, new VectorOps(pool), pool);
                String spec = treeSpec(random, mh.numHeads());
                TreeShape shape = shape(random, spec, mh.numHeads());
                Drafter drafter;
                try {
                    drafter = new MedusaDrafter(mh, shape, new VectorOps(pool));
                } catch (IllegalArgumentException e) {
                    continue; // a tree wider than a small draft vocabulary: refused by name, as it should be
                }
                int maxBatch = 1 + random.nextInt(8);
                long budget = random.nextInt(3) == 0 ? tight(random, config, requests, drafter) : 64L << 20;
                Random joins = random.nextBoolean() ? new Random(random.nextLong()) : null;
                List<GenerationRequest> order = new ArrayList<>(requests);
                Collections.shuffle(order, random);
                List<GenerationResult> multi = TestDecoders.runArriving(t, drafter, eos, maxBatch, budget, order,
                        joins);
                MultiTokenEquivalenceTest.assertSameOutputs(plain, multi, at + " tree " + shape.describe()
                        + " threads " + threads + " batch " + maxBatch + " budget " + budget + " joins "
                        + (joins != null));
                for (GenerationResult r : multi) {
                    for (int yielded = 2; yielded <= r.acceptHistogram().length; yielded++) {
                        multiTokenPasses += r.acceptHistogram()[yielded - 1];
                    }
                }
            }
        }
        return multiTokenPasses;
    }

    /** A --tree spec, or "estimate" (auto's trees alone) or "file" (random index paths). */
    private static String treeSpec(Random random, int heads) {
        return switch (random.nextInt(6)) {
            case 0 -> "chain:" + (1 + random.nextInt(heads));
            case 1 -> "nodes:" + (1 + random.nextInt(40));
            case 2 -> "static";
            case 3 -> "auto";
            case 4 -> "estimate";
            default -> "file";
        };
    }

    private static TreeShape shape(Random random, String spec, int heads) {
        PassCostCurve pass = new PassCostCurve(new int[] {1, 16}, new double[] {1, 1 + 2 * random.nextDouble()});
        return switch (spec) {
            case "estimate" -> CostAwareTree.estimateOnly(SpeculationCosts.passOnly(pass), heads,
                    1 + random.nextInt(64));
            case "file" -> randomStatic(random, heads);
            default -> TreeSpecs.parse(spec, heads, () -> SpeculationCosts.passOnly(pass));
        };
    }

    /** Random valid index paths: deep, wide, ranks up to 9. */
    private static StaticTree randomStatic(Random random, int heads) {
        List<int[]> paths = new ArrayList<>();
        Set<List<Integer>> seen = new HashSet<>();
        int count = 1 + random.nextInt(30);
        for (int i = 0; i < count; i++) {
            int depth = 1 + random.nextInt(heads);
            List<Integer> path = new ArrayList<>();
            for (int d = 0; d < depth; d++) {
                path.add(random.nextInt(3) == 0 ? random.nextInt(10) : random.nextInt(2));
                if (seen.add(List.copyOf(path))) {
                    paths.add(path.stream().mapToInt(Integer::intValue).toArray());
                }
            }
        }
        return new StaticTree(paths, "random");
    }

    /**
     * Room for the largest request, with or without its tree scratch, and at most as much again: requests wait for
     * memory, and some decode plainly for want of it.
     */
    private static long tight(Random random, ModelConfig config, List<GenerationRequest> requests, Drafter drafter) {
        KvCacheBudget sizes = new KvCacheBudget(config, 1);
        int scratch = random.nextBoolean() ? drafter.maxTreeNodes() : 0;
        long largest = 0;
        for (GenerationRequest r : requests) {
            int tokens = (int) Math.min(config.maxPositions(), (long) r.promptIds().length + r.maxNewTokens());
            largest = Math.max(largest, sizes.bytesFor(tokens + scratch));
        }
        return largest + (long) (random.nextDouble() * largest);
    }

    private static List<GenerationRequest> requests(Random random, ModelConfig config, int count) {
        List<GenerationRequest> requests = new ArrayList<>();
        int vocab = config.vocabSize();
        int room = config.maxPositions() - 1;
        for (int i = 0; i < count; i++) {
            int length = switch (random.nextInt(5)) {
                case 0 -> 1;
                case 1 -> Math.max(1, room - random.nextInt(4));
                case 2 -> 1 + random.nextInt(room);
                default -> 1 + random.nextInt(Math.min(room, 20));
            };
            int[] prompt = random.ints(length, 0, vocab).toArray();
            SamplingParams sampling = switch (random.nextInt(4)) {
                case 0 -> SamplingParams.GREEDY;
                case 1 -> new SamplingParams(random.nextFloat() * 0.01f + 1e-6f, 0, 1f, random.nextLong());
                default -> new SamplingParams(0.05f + 3 * random.nextFloat(), random.nextInt(3) == 0 ? 0
                        : 1 + random.nextInt(vocab + 2), random.nextBoolean() ? 1f : 0.01f + 0.99f * random.nextFloat(),
                        random.nextLong());
            };
            List<String> stops = new ArrayList<>();
            for (int k = random.nextInt(3); k > 0; k--) {
                stops.add(switch (random.nextInt(4)) {
                    case 0 -> "<" + random.nextInt(vocab) + ">";
                    case 1 -> "<" + random.nextInt(vocab) + "><" + random.nextInt(vocab) + ">";
                    case 2 -> random.nextInt(vocab) + "><" + random.nextInt(vocab);
                    default -> ">";
                });
            }
            int maxNew = switch (random.nextInt(5)) {
                case 0 -> 1;
                case 1 -> Integer.MAX_VALUE;
                case 2 -> Math.max(1, room + 1 - length - random.nextInt(3)); // ends at the context, or near
                default -> 1 + random.nextInt(40);
            };
            int logprobs = random.nextBoolean() ? GenerationRequest.NO_LOGPROBS : random.nextInt(21);
            requests.add(new GenerationRequest(String.format("r%02d", i), prompt, maxNew, sampling, stops,
                    random.nextInt(4) == 0, logprobs));
        }
        return requests;
    }

}
