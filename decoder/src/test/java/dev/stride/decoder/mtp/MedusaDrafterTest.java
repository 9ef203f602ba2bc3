package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.lang.reflect.Proxy;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The drafter runs the heads a pass's trees can use, and no others: a head costs about one lm_head. */
class MedusaDrafterTest {

    private static final ModelConfig CONFIG = TinyModels.llama();
    private static final int HEADS = 4;

    private static Set<Integer> headsRun(MedusaHeads heads, TreeShape shape, int[] maxDepth) {
        Set<WeightMatrix> multiplied = new HashSet<>();
        ScalarOps scalar = new ScalarOps();
        TensorOps ops = (TensorOps) Proxy.newProxyInstance(TensorOps.class.getClassLoader(),
                new Class<?>[] {TensorOps.class}, (proxy, method, args) -> {
                    if (method.getName().equals("matmul")) {
                        multiplied.add((WeightMatrix) args[0]);
                    }
                    return method.invoke(scalar, args);
                });
        MedusaDrafter drafter = new MedusaDrafter(heads, shape, ops);
        int n = maxDepth.length;
        DraftTree[] trees = new DraftTree[n];
        DraftState[] states = new DraftState[n];
        for (int i = 0; i < n; i++) {
            trees[i] = new DraftTree();
            trees[i].reset(1);
            states[i] = drafter.newState();
        }
        drafter.draft(TinyModels.randomFloats(new Random(3), n * CONFIG.hiddenSize()), n, maxDepth, states, trees);
        Set<Integer> run = new HashSet<>();
        for (int k = 0; k < heads.numHeads(); k++) {
            if (multiplied.contains(heads.projections()[k])) {
                run.add(k);
            }
        }
        return run;
    }

    @Test
    void runsOnlyTheHeadLevelsTheTreesCanReach() {
        ModelWeights weights = TinyModels.weights(CONFIG, 1);
        MedusaHeads heads = TinyModels.heads(CONFIG, weights, HEADS, 1, 2);
        assertEquals(Set.of(0, 1), headsRun(heads, StaticTree.chain(2), new int[] {HEADS, HEADS}));
        assertEquals(Set.of(0, 1, 2, 3), headsRun(heads, new DynamicTree(16, HEADS), new int[] {HEADS, 1}));
        assertEquals(Set.of(0), headsRun(heads, new DynamicTree(16, HEADS), new int[] {1, 1}),
                "one token left per sequence: one level");
        assertEquals(Set.of(), headsRun(heads, StaticTree.chain(3), new int[] {0, 0}), "nothing left to draft");
        PassCostCurve flat = new PassCostCurve(new int[] {1, 64}, new double[] {1, 1});
        PassCostCurve dear = new PassCostCurve(new int[] {1}, new double[] {5});
        assertEquals(Set.of(), headsRun(heads, new CostAwareTree(new SpeculationCosts(flat, dear), HEADS, 64),
                new int[] {HEADS}), "auto starts plain: no heads run before a contest shows that drafting pays");
    }

    /** A tree wider than the draft vocabulary would read candidates the heads never ranked. */
    @Test
    void aTreeWiderThanTheDraftVocabularyIsRefused() {
        MedusaHeads heads = TinyModels.heads(CONFIG, TinyModels.weights(CONFIG, 1), HEADS, 1, 2)
                .restrictedTo(new DraftVocabulary(new int[] {5, 7}, 0.5, 10), m -> m);
        IllegalArgumentException wide = assertThrows(IllegalArgumentException.class,
                () -> new MedusaDrafter(heads, new DynamicTree(16, HEADS), new ScalarOps()));
        assertTrue(wide.getMessage().contains("propose from 2 tokens") && wide.getMessage().contains(
                DraftVocabulary.FILE), wide.getMessage());
        new MedusaDrafter(heads, StaticTree.chain(HEADS), new ScalarOps()); // top-1 chains need one candidate
    }

    /**
     * Heads restricted to a draft vocabulary propose, at every level, the token the whole heads' logits rank first
     * among the vocabulary's tokens (the first listed on a tie), and never a token outside it.
     */
    @Test
    void headsWithADraftVocabularyProposeTheirBestTokenWithinIt() {
        Random random = new Random(8);
        ModelWeights weights = TinyModels.weights(CONFIG, 4);
        for (boolean shared : new boolean[] {false, true}) {
            MedusaHeads full = shared ? TinyModels.sharedProjectionHeads(CONFIG, weights, HEADS, 1, 5)
                    : TinyModels.heads(CONFIG, weights, HEADS, 1, 5);
            int[] ids = random.ints(0, CONFIG.vocabSize()).distinct().limit(CONFIG.vocabSize() / 3).toArray();
            MedusaHeads restricted = full.restrictedTo(new DraftVocabulary(ids, 0.5, 10), m -> m);
            ScalarOps ops = new ScalarOps();
            for (int trial = 0; trial < 20; trial++) {
                float[] hidden = TinyModels.randomFloats(random, CONFIG.hiddenSize());
                MedusaDrafter drafter = new MedusaDrafter(restricted, StaticTree.chain(HEADS), ops);
                DraftTree tree = new DraftTree();
                tree.reset(1);
                drafter.draft(hidden, 1, new int[] {HEADS}, new DraftState[] {drafter.newState()},
                        new DraftTree[] {tree});
                assertEquals(HEADS + 1, tree.size());
                float[] logits = new float[CONFIG.vocabSize()];
                for (int k = 0; k < HEADS; k++) {
                    full.forwardHead(ops, k, hidden, new int[] {1}, 1, full.newScratch(1), logits);
                    int best = ids[0];
                    for (int id : ids) {
                        best = logits[id] > logits[best] ? id : best;
                    }
                    assertEquals(best, tree.token(k + 1), (shared ? "shared" : "own") + " projections, head " + k);
                }
            }
        }
    }

    /**
     * Heads with token input draft from each sequence's root, the token the model chose after the hidden state:
     * a batch's trees are those of each sequence drafted alone with its own root (row and root stay paired), each
     * level's guess is the top token of that head's logits for that root, and another root changes the guesses.
     */
    @Test
    void headsWithTokenInputDraftFromEachSequencesOwnRoot() {
        ModelWeights weights = TinyModels.weights(CONFIG, 6);
        MedusaHeads heads = TinyModels.tokenInputHeads(CONFIG, weights, HEADS, 2, 3);
        ScalarOps ops = new ScalarOps();
        Random random = new Random(12);
        int n = 5;
        float[] hidden = TinyModels.randomFloats(random, n * CONFIG.hiddenSize());
        int[] roots = {3, 9, 3, 1, CONFIG.vocabSize() - 1};
        DraftTree[] batch = chains(ops, heads, hidden, roots);
        Set<String> differentRoots = new HashSet<>();
        for (int i = 0; i < n; i++) {
            float[] row = java.util.Arrays.copyOfRange(hidden, i * CONFIG.hiddenSize(), (i + 1) * CONFIG.hiddenSize());
            DraftTree alone = chains(ops, heads, row, new int[] {roots[i]})[0];
            DraftTree otherRoot = chains(ops, heads, row, new int[] {(roots[i] + 1) % CONFIG.vocabSize()})[0];
            float[] logits = new float[CONFIG.vocabSize()];
            for (int k = 0; k < HEADS; k++) {
                assertEquals(alone.token(k + 1), batch[i].token(k + 1), "sequence " + i + ", level " + k);
                heads.forwardHead(ops, k, row, new int[] {roots[i]}, 1, heads.newScratch(1), logits);
                int best = 0;
                for (int v = 1; v < logits.length; v++) {
                    best = logits[v] > logits[best] ? v : best;
                }
                assertEquals(best, batch[i].token(k + 1), "sequence " + i + ", level " + k);
                if (otherRoot.token(k + 1) != alone.token(k + 1)) {
                    differentRoots.add(i + "/" + k);
                }
            }
        }
        assertTrue(differentRoots.size() > n, "guesses that another root changed: " + differentRoots);
    }

    /** Top-1 chains of every head level drafted for hidden states (n, hidden) under the given roots. */
    private static DraftTree[] chains(TensorOps ops, MedusaHeads heads, float[] hidden, int[] roots) {
        int n = roots.length;
        MedusaDrafter drafter = new MedusaDrafter(heads, StaticTree.chain(HEADS), ops);
        DraftTree[] trees = new DraftTree[n];
        DraftState[] states = new DraftState[n];
        int[] maxDepth = new int[n];
        for (int i = 0; i < n; i++) {
            trees[i] = new DraftTree();
            trees[i].reset(roots[i]);
            states[i] = drafter.newState();
            maxDepth[i] = HEADS;
        }
        drafter.draft(hidden, n, maxDepth, states, trees);
        return trees;
    }
}
