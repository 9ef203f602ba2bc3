package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random heads rarely get more than a token or two accepted, so long accepted paths, and with them the cases where
 * a path crosses a sliding window's edge, the context's end, max_new_tokens, an EOS or a stop string, are seldom
 * reached. Here an oracle drafter knows plain decoding's future: it recognises each hidden state (bit for bit) and
 * drafts the true continuation, up to ten levels deep, inside adversarial trees (wrong and duplicate siblings, junk
 * subtrees, paths cut or corrupted part way). On random small models (windows of 1 to 17 positions, short contexts,
 * four weight layouts) with seeded sampling, logprobs, ignore_eos, requests joining mid-run and caches that wait for
 * KV memory, multi-token output must equal plain output, and every hidden state the drafter sees must be one plain
 * decoding produced.
 */
class OracleDraftPropertyTest {

    private static final int SCENARIOS = 40;

    @Test
    void adversarialTreesHoldingTheTruthMatchPlainDecoding(@TempDir Path dir) {
        Random random = new Random(20261205);
        int passesPastTheWindow = 0;
        List<TensorStore> stores = new ArrayList<>();
        try (ComputePool pool = new ComputePool(2)) {
            for (int s = 0; s < SCENARIOS; s++) {
                passesPastTheWindow += scenario(random, pool, dir.resolve("model" + s), stores);
            }
        } finally {
            stores.forEach(TensorStore::close);
        }
        assertTrue(passesPastTheWindow > 100, "passes that accepted a path longer than the window: "
                + passesPastTheWindow);
    }

    /** One random model and request set, checked against two oracles; returns passes longer than the window. */
    private static int scenario(Random random, ComputePool pool, Path dir, List<TensorStore> stores) {
        int heads = new int[] {1, 2, 4}[random.nextInt(3)];
        int kvHeads = heads == 1 || random.nextBoolean() ? 1 : heads / 2;
        int headDim = new int[] {4, 6, 8, 16}[random.nextInt(4)];
        int window = random.nextInt(4) == 0 ? 0 : new int[] {1, 2, 3, 5, 9, 17}[random.nextInt(6)];
        Architecture arch = window == 0 ? Architecture.LLAMA : random.nextBoolean() ? Architecture.MISTRAL
                : Architecture.QWEN2;
        ModelConfig config = TinyModels.config(arch, heads * headDim, heads, kvHeads, 1 + random.nextInt(2),
                5 + random.nextInt(60), 8 + random.nextInt(40), window);
        ModelWeights weights = layout(random, config, TinyModels.weights(config, random.nextLong()), dir,
                stores);
        Transformer transformer = TestDecoders.transformer(config, weights, pool);
        Set<Integer> eos = random.nextBoolean() ? Set.of() : Set.of(random.nextInt(config.vocabSize()));
        List<GenerationRequest> requests = requests(random, config, 1 + random.nextInt(5));
        String what = config + ", eos " + eos;

        List<GenerationResult> plain = TestDecoders.runArriving(transformer, null, eos, 1, 64L << 20, requests, null);
        Recorder recorder = new Recorder(config.hiddenSize());
        MultiTokenEquivalenceTest.assertSameOutputs(plain,
                TestDecoders.runArriving(transformer, recorder, eos, 1, 64L << 20, requests, null),
                what + ", recording");
        Map<Long, List<int[]>> futures = recorder.futures(plain, eos);

        int pastWindow = 0;
        for (int k = 0; k < 2; k++) {
            Oracle oracle = new Oracle(futures, config, 1 + random.nextInt(10), random.nextLong());
            int maxBatch = 1 + random.nextInt(5);
            long budget = random.nextBoolean() ? 64L << 20 : tightBudget(random, config, requests, oracle);
            Random joins = random.nextBoolean() ? new Random(random.nextLong()) : null;
            List<GenerationResult> multi = TestDecoders.runArriving(transformer, oracle, eos, maxBatch, budget,
                    requests, joins);
            String at = what + ", oracle depth " + oracle.depth + ", batch " + maxBatch + ", budget " + budget
                    + (joins != null ? ", joining mid-run" : "");
            MultiTokenEquivalenceTest.assertSameOutputs(plain, multi, at);
            assertEquals(0, oracle.unknownHiddenStates, at + ": hidden states plain decoding never produced");
            for (GenerationResult r : multi) {
                for (int yielded = window + 1; window > 0 && yielded <= r.acceptHistogram().length; yielded++) {
                    pastWindow += r.acceptHistogram()[yielded - 1];
                }
            }
        }
        return pastWindow;
    }

    /** The weights as float32 arrays, or written as BF16/F16 and held as q8, BF16 panels or streamed F16. */
    private static ModelWeights layout(Random random, ModelConfig config, ModelWeights weights, Path dir,
                                       List<TensorStore> stores) {
        int pick = random.nextInt(4);
        if (pick == 0) {
            return weights;
        }
        WeightLayout layout = new WeightLayout[] {WeightLayout.Q8, WeightLayout.PACKED_BFLOAT16,
            WeightLayout.STREAMED}[pick - 1];
        ModelDirs.write(dir, config, weights, pick == 3 ? DType.F16 : DType.BF16);
        TensorStore store = TensorStore.openDirectory(dir);
        stores.add(store);
        return ModelLoader.weights(config, store, layout);
    }

    /** Room for the largest request with its tree scratch and at most as much again: requests wait for memory. */
    private static long tightBudget(Random random, ModelConfig config, List<GenerationRequest> requests,
                                    Drafter drafter) {
        KvCacheBudget sizes = new KvCacheBudget(config, 1);
        long largest = 0;
        for (GenerationRequest r : requests) {
            int tokens = (int) Math.min(config.maxPositions(), (long) r.promptIds().length + r.maxNewTokens());
            largest = Math.max(largest, sizes.bytesFor(tokens + drafter.maxTreeNodes()));
        }
        return largest + (long) (random.nextDouble() * largest);
    }

    /** Requests up to the context's end: prompts that leave a few positions, max_new_tokens up to unbounded. */
    private static List<GenerationRequest> requests(Random random, ModelConfig config, int count) {
        List<GenerationRequest> requests = new ArrayList<>();
        int vocab = config.vocabSize();
        int room = config.maxPositions() - 1;
        for (int i = 0; i < count; i++) {
            int[] prompt = random.ints(random.nextInt(3) == 0 ? Math.max(1, room - random.nextInt(4))
                    : 1 + random.nextInt(Math.min(room, 16)), 0, vocab).toArray();
            SamplingParams sampling = random.nextInt(3) == 0 ? SamplingParams.GREEDY
                    : new SamplingParams(0.2f + 2 * random.nextFloat(), random.nextInt(3) == 0 ? 0
                    : 1 + random.nextInt(8), random.nextBoolean() ? 1f : 0.05f + 0.95f * random.nextFloat(),
                    random.nextLong());
            List<String> stops = switch (random.nextInt(4)) {
                case 0 -> List.of("<" + random.nextInt(vocab) + ">");
                case 1 -> List.of("<" + random.nextInt(vocab) + "><" + random.nextInt(vocab) + ">");
                default -> List.of();
            };
            int maxNew = random.nextInt(4) == 0 ? Integer.MAX_VALUE : 1 + random.nextInt(40);
            int logprobs = random.nextBoolean() ? GenerationRequest.NO_LOGPROBS : random.nextInt(4);
            requests.add(new GenerationRequest(String.format("r%02d", i), prompt, maxNew, sampling, stops,
                    random.nextInt(4) == 0, logprobs));
        }
        return requests;
    }

    private static long hash(float[] values, int from, int length) {
        long h = 1125899906842597L;
        for (int i = from; i < from + length; i++) {
            h = 31 * h + Float.floatToRawIntBits(values[i]);
        }
        return h;
    }

    /**
     * Plain decoding as a drafter that drafts nothing, recording each sequence's hidden states in order (sequences
     * are admitted, and their states made, in submission order).
     */
    private static final class Recorder implements Drafter {
        private final int hidden;
        private final List<DraftState> states = new ArrayList<>();
        private final Map<DraftState, List<Long>> hashes = new IdentityHashMap<>();

        Recorder(int hidden) {
            this.hidden = hidden;
        }

        @Override
        public int maxTokensPerPass() {
            return 1;
        }

        @Override
        public int maxTreeNodes() {
            return 1;
        }

        @Override
        public DraftState newState() {
            DraftState state = new DraftState(0);
            states.add(state);
            hashes.put(state, new ArrayList<>());
            return state;
        }

        @Override
        public void draft(float[] h, int n, int[] maxDepth, DraftState[] st, DraftTree[] trees) {
            for (int i = 0; i < n; i++) {
                hashes.get(st[i]).add(hash(h, i * hidden, hidden));
            }
        }

        /**
         * Hidden state -> the tokens plain decoding generated after the pending one (the EOS that ended it
         * included); the j-th drafting of a sequence comes after its j-th completion token.
         */
        Map<Long, List<int[]>> futures(List<GenerationResult> plain, Set<Integer> eos) {
            assertEquals(plain.size(), states.size());
            Map<Long, List<int[]>> futures = new HashMap<>();
            for (int k = 0; k < plain.size(); k++) {
                int[] ids = plain.get(k).completionIds();
                if (plain.get(k).finishReason() == FinishReason.EOS) {
                    ids = Arrays.copyOf(ids, ids.length + 1);
                    ids[ids.length - 1] = eos.iterator().next();
                }
                List<Long> seen = hashes.get(states.get(k));
                for (int j = 0; j < seen.size(); j++) {
                    futures.computeIfAbsent(seen.get(j), x -> new ArrayList<>())
                            .add(Arrays.copyOfRange(ids, Math.min(ids.length, j + 1), ids.length));
                }
            }
            return futures;
        }
    }

    /** Drafts every known future of a hidden state inside a tree that tries to mislead the verification. */
    private static final class Oracle implements Drafter {
        private final Map<Long, List<int[]>> futures;
        private final int hidden;
        private final int vocab;
        private final int depth;
        private final int maxNodes;
        private final Random random;
        private int unknownHiddenStates;

        Oracle(Map<Long, List<int[]>> futures, ModelConfig config, int depth, long seed) {
            this.futures = futures;
            this.hidden = config.hiddenSize();
            this.vocab = config.vocabSize();
            this.depth = depth;
            this.maxNodes = 3 * depth + 1;
            this.random = new Random(seed);
        }

        @Override
        public int maxTokensPerPass() {
            return depth + 1;
        }

        @Override
        public int maxTreeNodes() {
            return maxNodes;
        }

        @Override
        public DraftState newState() {
            return new DraftState(depth);
        }

        @Override
        public void draft(float[] h, int n, int[] maxDepth, DraftState[] states, DraftTree[] trees) {
            for (int i = 0; i < n; i++) {
                List<int[]> known = futures.get(hash(h, i * hidden, hidden));
                if (known == null) {
                    unknownHiddenStates++;
                    known = List.of(new int[0]);
                }
                for (int[] future : known) {
                    grow(trees[i], future, Math.min(depth, maxDepth[i]));
                }
            }
        }

        /**
         * The future's first {@code cut} tokens (all of them, or a random prefix with junk after it) as a chain
         * under the root, each level maybe behind a wrong sibling, a copy of the true token or a junk subtree.
         */
        private void grow(DraftTree tree, int[] future, int limit) {
            int cut = random.nextInt(4) == 0 ? random.nextInt(limit + 1) : limit;
            int parent = 0;
            for (int d = 1; d <= limit && tree.size() < maxNodes; d++) {
                int token = d <= cut && d <= future.length ? future[d - 1] : random.nextInt(vocab);
                if (random.nextInt(3) == 0 && tree.size() + 1 < maxNodes) {
                    int sibling = tree.addChild(parent, random.nextInt(4) == 0 ? token : random.nextInt(vocab));
                    if (random.nextBoolean() && d < limit && tree.size() + 1 < maxNodes) {
                        tree.addChild(sibling, random.nextInt(vocab));
                    }
                }
                int existing = tree.childWithToken(parent, token);
                parent = existing >= 0 && random.nextBoolean() ? existing : tree.addChild(parent, token);
            }
        }
    }
}
