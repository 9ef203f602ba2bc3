package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Edge sampling parameters, stop strings, end-of-sequence ids and budgets under multi-token decoding whose drafts are
 * the true continuation (replayed from an earlier run that ignored every stop), so that accepted runs cross the
 * point where plain decoding stops. Outputs must equal plain decoding's bit for bit.
 */
class ReplayDraftEdgeTest {

    private static final int DEPTH = 4;
    private static final int VOCAB = TinyModels.llama().vocabSize();

    /**
     * Records, per sequence (numbered in admission order), which step each drafting hidden state belongs to while
     * drafting nothing; in replay, drafts from such a state the tokens that followed it, each beside a wrong sibling.
     */
    private static final class Recorder extends TruthDrafter {
        final List<Map<Integer, Integer>> steps = new ArrayList<>();
        final Map<DraftState, Integer> sequences = new HashMap<>();
        final int hiddenSize;
        int[][] futures; // per sequence: every token of the stop-free run
        boolean replay;

        Recorder(int hiddenSize) {
            super(DEPTH, VOCAB);
            this.hiddenSize = hiddenSize;
        }

        @Override
        public DraftState newState() {
            DraftState state = super.newState();
            sequences.put(state, sequences.size());
            if (!replay) {
                steps.add(new HashMap<>());
            }
            return state;
        }

        @Override
        public void draft(float[] hidden, int n, int[] maxDepth, DraftState[] states, DraftTree[] trees) {
            for (int i = 0; i < n; i++) {
                int seq = sequences.get(states[i]);
                int key = Arrays.hashCode(Arrays.copyOfRange(hidden, i * hiddenSize, (i + 1) * hiddenSize));
                if (!replay) {
                    steps.get(seq).put(key, steps.get(seq).size());
                    continue;
                }
                draftTruth(trees[i], futures[seq], steps.get(seq).get(key), maxDepth[i]);
            }
        }
    }

    /**
     * Text as {@link TestDecoders#TEXT} has it, but a token whose id is a multiple of 5 streams nothing until the
     * next token comes (as the first bytes of a UTF-8 character do), or the sequence ends.
     */
    static final TextStream.Factory HELD_BACK = new TextStream.Factory() {
        @Override
        public TextStream open(int[] promptIds) {
            return new TextStream() {
                private final StringBuilder held = new StringBuilder();

                @Override
                public String push(int id) {
                    held.append(TestDecoders.TEXT.decode(new int[] {id}));
                    return id % 5 == 0 ? "" : flush();
                }

                @Override
                public String flush() {
                    String text = held.toString();
                    held.setLength(0);
                    return text;
                }
            };
        }

        @Override
        public String decode(int[] ids) {
            return TestDecoders.TEXT.decode(ids);
        }
    };

    private static TextStream.Factory text = TestDecoders.TEXT;

    private static List<GenerationResult> run(Transformer t, Drafter drafter, Set<Integer> eos, int batch,
                                              List<GenerationRequest> requests) {
        try (BatchDecoder d = new BatchDecoder(t, new KvCacheBudget(t.config(), 64L << 20), drafter, eos, text,
                batch)) {
            return TestDecoders.run(d, requests);
        }
    }

    private static GenerationRequest free(GenerationRequest r, int context) {
        return new GenerationRequest(r.id(), r.promptIds(), context, r.sampling(), List.of(), true, r.logprobs());
    }

    private static void compare(List<GenerationRequest> requests, Set<Integer> eos) {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 11);
        try (ComputePool pool = new ComputePool(2)) {
            Transformer t = TestDecoders.transformer(config, weights, pool);
            List<GenerationRequest> freeRequests = requests.stream()
                    .map(r -> free(r, config.maxPositions())).toList();
            Recorder recorder = new Recorder(config.hiddenSize());
            List<GenerationResult> freeRuns = new ArrayList<>();
            for (GenerationRequest r : freeRequests) { // one at a time: admission order is request order
                freeRuns.addAll(run(t, recorder, Set.of(), 1, List.of(r)));
            }
            recorder.futures = freeRuns.stream().map(GenerationResult::completionIds).toArray(int[][]::new);
            MultiTokenEquivalenceTest.assertSameOutputs(run(t, null, Set.of(), 1, freeRequests), freeRuns, "free");
            List<GenerationResult> plain = run(t, null, eos, 3, requests);
            recorder.replay = true;
            recorder.sequences.clear();
            List<GenerationResult> replayed = new ArrayList<>();
            for (GenerationRequest r : requests) {
                replayed.addAll(run(t, recorder, eos, 1, List.of(r)));
            }
            MultiTokenEquivalenceTest.assertSameOutputs(plain, replayed, "replayed drafts");
            double perPass = replayed.stream().mapToInt(GenerationResult::decodeTokens).sum()
                    / (double) replayed.stream().mapToInt(GenerationResult::decodePasses).sum();
            assertTrue(perPass > 2, "drafts should mostly be accepted: " + perPass + " tokens per pass");
        }
    }

    private static GenerationRequest request(String id, int maxNew, SamplingParams sampling, List<String> stops,
                                             int logprobs) {
        return new GenerationRequest(id, new int[] {5, 17, 33, (id.hashCode() & 0x7fffffff) % VOCAB}, maxNew, sampling,
                stops, false, logprobs);
    }

    /** The stop-free continuation of each request, as plain decoding makes it. */
    private static int[][] freeRuns(List<GenerationRequest> requests) {
        ModelConfig config = TinyModels.llama();
        try (ComputePool pool = new ComputePool(2)) {
            Transformer t = TestDecoders.transformer(config, TinyModels.weights(config, 11), pool);
            return run(t, null, Set.of(), 2, requests.stream().map(r -> free(r, config.maxPositions())).toList())
                    .stream().map(GenerationResult::completionIds).toArray(int[][]::new);
        }
    }

    private static String text(int... ids) {
        return TestDecoders.TEXT.decode(ids);
    }

    /** The two tokens' text less its first and last characters: a stop string that no token holds whole. */
    private static String split(int a, int b) {
        String both = text(a, b);
        return both.substring(1, both.length() - 1);
    }

    @Test
    void stopsEndOfSequenceAndBudgetsInsideAcceptedRunsMatchPlainDecoding() {
        List<GenerationRequest> base = new ArrayList<>();
        SamplingParams[] samplings = {SamplingParams.GREEDY, new SamplingParams(0.8f, 0, 1f, 42L),
            new SamplingParams(1.3f, 7, 0.9f, Long.MIN_VALUE)};
        for (int i = 0; i < 12; i++) {
            base.add(request(String.format("s%02d", i), 30, samplings[i % 3], List.of(), i % 4 == 0 ? -1 : i));
        }
        int[][] free = freeRuns(base);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < base.size(); i++) {
            GenerationRequest b = base.get(i);
            int[] f = free[i];
            List<List<String>> stopCases = List.of(
                    List.of(text(f[0])),                                      // the very first token
                    List.of(split(f[2], f[3])),                                 // split across tokens
                    List.of(text(f[4], f[5]), text(f[4])),                    // one a prefix of another
                    List.of(text(f[2], f[3]), text(f[3], f[4])),              // overlapping
                    List.of(text(f[9])),                                      // at the max_new_tokens boundary
                    List.of("<never>"));
            for (int c = 0; c < stopCases.size(); c++) {
                int maxNew = c == 4 ? 10 : new int[] {1, 2, 30, Integer.MAX_VALUE, 124}[(i + c) % 5];
                requests.add(new GenerationRequest(b.id() + "-" + c, b.promptIds(), maxNew, b.sampling(),
                        stopCases.get(c), false, b.logprobs()));
            }
        }
        // End-of-sequence ids that come up inside the runs, some also the tokens a stop string names.
        for (TextStream.Factory factory : List.of(TestDecoders.TEXT, HELD_BACK)) {
            text = factory;
            compare(requests, Set.of(free[0][6], free[1][3], free[4][9]));
        }
        text = TestDecoders.TEXT;
    }

    /** Plain decoding on one thread, multi-token decoding with random heads on three: the same outputs. */
    @Test
    void threadCountsAndTreesDoNotChangeOutputs() {
        Random random = new Random(77);
        for (ModelConfig config : new ModelConfig[] {TinyModels.llama(),
            TinyModels.config(Architecture.QWEN2, 16, 2, 1, 1, 11, 40, 0)}) {
            ModelWeights weights = TinyModels.weights(config, 5);
            List<GenerationRequest> requests = new ArrayList<>();
            for (GenerationRequest r : MultiTokenEquivalenceTest.randomRequests(random, config, 8)) {
                requests.add(new GenerationRequest(r.id(), r.promptIds(), r.maxNewTokens(), r.sampling(),
                        r.stopStrings(), false, random.nextInt(22) - 1));
            }
            List<GenerationResult> plain;
            try (ComputePool one = new ComputePool(1)) {
                plain = run(TestDecoders.transformer(config, weights, one), null, Set.of(3), 1, requests);
            }
            try (ComputePool three = new ComputePool(3)) {
                Transformer t = TestDecoders.transformer(config, weights, three);
                MedusaHeads heads = TinyModels.heads(config, weights, 3, 1, 9);
                PassCostCurve pass = new PassCostCurve(new int[] {1, 16}, new double[] {1, 1.5});
                for (String tree : new String[] {"chain:3", "nodes:6", "auto"}) {
                    Drafter drafter = new MedusaDrafter(heads,
                            TreeSpecs.parse(tree, 3, () -> SpeculationCosts.passOnly(pass)), new VectorOps(three));
                    MultiTokenEquivalenceTest.assertSameOutputs(plain, run(t, drafter, Set.of(3), 5, requests),
                            "vocab " + config.vocabSize() + " tree " + tree);
                }
            }
        }
    }

    @Test
    void edgeSamplingParametersMatchPlainDecoding() {
        float[] temperatures = {1e-30f, Float.MIN_VALUE, 1e-5f, 0.7f, 1e4f, Float.MAX_VALUE};
        float[] topPs = {1f, Math.nextDown(1f), 0.5f, Float.MIN_VALUE};
        int[] topKs = {0, 1, 2, 61, 1000, Integer.MAX_VALUE};
        long[] seeds = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1};
        List<GenerationRequest> requests = new ArrayList<>();
        int i = 0;
        for (float temperature : temperatures) {
            for (float topP : topPs) {
                int topK = topKs[i % topKs.length];
                long seed = seeds[i % seeds.length];
                requests.add(request(String.format("r%03d", i), 20 + i % 7,
                        new SamplingParams(temperature, topK, topP, seed), List.of(), i % 21));
                i++;
            }
        }
        compare(requests, Set.of());
    }
}
