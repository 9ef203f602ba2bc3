package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Grown trees: parents first, within the depth limit and node budget, best-first, and sized by pass cost. */
class TreeShapeTest {

    private static final int HEADS = 4;
    private static final int WIDTH = 8;

    /** Head k's rank r candidate is token 100 k + r; probabilities decreasing in rank, random otherwise. */
    private static HeadCandidates candidates(Random random) {
        HeadCandidates c = new HeadCandidates(HEADS, WIDTH);
        for (int k = 0; k < HEADS; k++) {
            double[] p = new double[WIDTH];
            double total = 0;
            for (int r = 0; r < WIDTH; r++) {
                p[r] = random.nextDouble();
                total += p[r];
            }
            total /= 0.9 * random.nextDouble() + 0.1; // the candidates hold part of the mass
            Arrays.sort(p);
            for (int r = 0; r < WIDTH; r++) {
                c.ids[k][r] = 100 * k + r;
                c.probs[k][r] = p[WIDTH - 1 - r] / total;
            }
        }
        return c;
    }

    private static DraftTree grow(TreeShape shape, HeadCandidates c, DraftState state, int depthLimit) {
        DraftTree tree = new DraftTree();
        tree.reset(7);
        shape.grow(tree, c, state, depthLimit);
        return tree;
    }

    /** The index path (ranks from the root) of each node, recovered from its tokens. */
    private static List<Integer> ranks(DraftTree tree, int node) {
        int[] path = new int[tree.depth(node) + 1];
        tree.pathTo(node, path);
        List<Integer> ranks = new ArrayList<>();
        for (int i = 1; i < path.length; i++) {
            ranks.add(tree.token(path[i]) - 100 * (i - 1));
        }
        return ranks;
    }

    /** Structural invariants every grown tree must hold. */
    private static void assertWellFormed(DraftTree tree, int depthLimit, int maxNodes, String what) {
        assertEquals(7, tree.token(0), what + ": root keeps the pending token");
        assertEquals(0, tree.depth(0));
        assertTrue(tree.size() <= maxNodes, what + ": " + tree.size() + " nodes over the budget " + maxNodes);
        assertTrue(tree.maxDepth() <= depthLimit, what + ": depth " + tree.maxDepth() + " over " + depthLimit);
        Set<List<Integer>> seen = new HashSet<>();
        for (int node = 1; node < tree.size(); node++) {
            int parent = tree.parent(node);
            assertTrue(parent >= 0 && parent < node, what + ": node " + node + " before its parent " + parent);
            assertEquals(tree.depth(parent) + 1, tree.depth(node), what);
            int head = tree.depth(node) - 1;
            int rank = tree.token(node) - 100 * head;
            assertTrue(rank >= 0 && rank < WIDTH, what + ": node " + node + " token " + tree.token(node)
                    + " is not a candidate of head " + head);
            assertTrue(seen.add(ranks(tree, node)), what + ": duplicate path " + ranks(tree, node));
        }
    }

    @Test
    void staticTreeGrowsItsPathsWithinTheDepthLimit() {
        HeadCandidates c = candidates(new Random(1));
        List<int[]> paths = List.of(new int[] {0}, new int[] {1}, new int[] {0, 0}, new int[] {0, 2},
                new int[] {1, 0}, new int[] {0, 0, 0}, new int[] {0, 0, 0, 3});
        StaticTree shape = new StaticTree(paths, "test");
        for (int limit = 0; limit <= HEADS; limit++) {
            DraftTree tree = grow(shape, c, new DraftState(HEADS), limit);
            assertWellFormed(tree, limit, shape.maxNodes(), "static, depth limit " + limit);
            Set<List<Integer>> expected = new HashSet<>();
            for (int[] p : paths) {
                if (p.length <= limit) {
                    expected.add(Arrays.stream(p).boxed().toList());
                }
            }
            Set<List<Integer>> actual = new HashSet<>();
            for (int node = 1; node < tree.size(); node++) {
                actual.add(ranks(tree, node));
            }
            assertEquals(expected, actual, "depth limit " + limit);
        }
        DraftTree chain = grow(StaticTree.chain(3), c, new DraftState(HEADS), HEADS);
        assertEquals(4, chain.size());
        assertEquals(List.of(0, 0, 0), ranks(chain, 3));
    }

    /** Calibrated score of a path, as DynamicTree defines it, computed here from first principles. */
    private static double score(List<Integer> ranks, HeadCandidates c, DraftState state) {
        double s = 1;
        for (int k = 0; k < ranks.size(); k++) {
            s *= Math.min(1.0, c.probs[k][ranks.get(k)] * state.acceptance(k) / c.probs[k][0]);
        }
        return s;
    }

    private static void allPaths(List<Integer> prefix, int depth, List<List<Integer>> out) {
        if (!prefix.isEmpty()) {
            out.add(List.copyOf(prefix));
        }
        if (prefix.size() == depth) {
            return;
        }
        for (int r = 0; r < WIDTH; r++) {
            prefix.add(r);
            allPaths(prefix, depth, out);
            prefix.remove(prefix.size() - 1);
        }
    }

    @Test
    void dynamicTreeGrowsTheMostProbablePathsUpToItsBudget() {
        Random random = new Random(2);
        for (int trial = 0; trial < 30; trial++) {
            HeadCandidates c = candidates(random);
            DraftState state = new DraftState(HEADS);
            for (int i = random.nextInt(20); i > 0; i--) {
                state.record(random.nextInt(HEADS + 1), HEADS);
            }
            int budget = 2 + random.nextInt(40);
            int limit = 1 + random.nextInt(HEADS);
            DynamicTree shape = new DynamicTree(budget, HEADS);
            DraftTree tree = grow(shape, c, state, limit);
            String what = "nodes:" + budget + " depth limit " + limit;
            assertWellFormed(tree, Math.min(limit, shape.maxDepth()), budget, what);

            List<List<Integer>> all = new ArrayList<>();
            allPaths(new ArrayList<>(), Math.min(limit, shape.maxDepth()), all);
            int width = shape.width();
            all.removeIf(p -> p.stream().anyMatch(r -> r >= width));
            assertEquals(Math.min(budget, all.size() + 1), tree.size(), what + ": the budget is used up");
            // The grown nodes are the best-scoring paths: none left out beats one taken.
            Set<List<Integer>> grown = new HashSet<>();
            double worstTaken = Double.POSITIVE_INFINITY;
            for (int node = 1; node < tree.size(); node++) {
                grown.add(ranks(tree, node));
                worstTaken = Math.min(worstTaken, score(ranks(tree, node), c, state));
            }
            for (List<Integer> p : all) {
                if (!grown.contains(p)) {
                    assertTrue(score(p, c, state) <= worstTaken + 1e-12, what + ": left out " + p + " scoring "
                            + score(p, c, state) + " over a grown path scoring " + worstTaken);
                }
            }
        }
    }

    @Test
    void dynamicTreeRespectsDepthLimitZero() {
        DraftTree tree = grow(new DynamicTree(16, HEADS), candidates(new Random(3)), new DraftState(HEADS), 0);
        assertEquals(1, tree.size());
        tree = grow(new DynamicTree(1, HEADS), candidates(new Random(3)), new DraftState(HEADS), HEADS);
        assertEquals(1, tree.size());
    }

    private static final SpeculationCosts FLAT =
            SpeculationCosts.passOnly(new PassCostCurve(new int[] {1, 64}, new double[] {1.0, 1.0}));
    private static final SpeculationCosts LINEAR =
            SpeculationCosts.passOnly(new PassCostCurve(new int[] {1, 2}, new double[] {1.0, 2.0}));

    private static CostAwareTree estimateTrees(SpeculationCosts costs, int maxNodes) {
        return CostAwareTree.estimateOnly(costs, HEADS, maxNodes);
    }

    /**
     * {@code auto} from its start (plain decoding, then contests) over 20 stretches of four sequences: where every
     * row costs a pass its ways of drafting forfeit their contests and no pass drafts; where rows are free they run.
     */
    @Test
    void autoDraftsOnlyWhereItsEstimateComesNearPlainDecoding() {
        assertEquals(0, draftedPasses(LINEAR), "a second row per sequence doubles the pass: drafting forfeits");
        assertTrue(draftedPasses(FLAT) > 0, "free rows: the contests run");
    }

    private static int draftedPasses(SpeculationCosts costs) {
        CostAwareTree shape = new CostAwareTree(costs, new DraftingRegime(), HEADS, 16);
        int n = 4;
        DraftState[] states = new DraftState[n];
        for (int i = 0; i < n; i++) {
            states[i] = new DraftState(HEADS);
        }
        int[] maxDepth = new int[n];
        Arrays.fill(maxDepth, HEADS);
        int drafted = 0;
        for (int pass = 0; pass < 20 * DraftingRegime.STRETCH; pass++) {
            drafted += shape.levels(states, maxDepth, n) > 0 ? 1 : 0;
            shape.observe(1e-3, n);
        }
        return drafted;
    }

    /** Only trees grown by probability pay for the heads' softmax; a chain arm of auto selects the top guess alone. */
    @Test
    void onlyTreesGrownByProbabilityWeighTheirCandidates() {
        DraftState[] states = {new DraftState(HEADS)};
        int[] maxDepth = {HEADS};
        CostAwareTree chainArm = new CostAwareTree(FLAT, new DraftingRegime(CostAwareTree.ESTIMATE + 1), HEADS, 16);
        assertEquals(1, chainArm.levels(states, maxDepth, 1), "the arm of chain:1");
        assertEquals(1, chainArm.passWidth());
        assertTrue(!chainArm.weighsCandidates());
        CostAwareTree estimate = estimateTrees(FLAT, 16);
        estimate.levels(states, maxDepth, 1);
        assertEquals(estimate.width(), estimate.passWidth());
        assertTrue(estimate.weighsCandidates());
        assertTrue(!StaticTree.chain(3).weighsCandidates());
        assertTrue(new DynamicTree(8, HEADS).weighsCandidates());
    }

    @Test
    void costAwareTreeOnAFlatCurveGrowsToItsCap() {
        Random random = new Random(4);
        for (int maxNodes : new int[] {2, 9, 30, 64}) {
            CostAwareTree shape = estimateTrees(FLAT, maxNodes);
            DraftTree tree = grow(shape, candidates(random), new DraftState(HEADS), HEADS);
            assertWellFormed(tree, HEADS, maxNodes, "auto flat, cap " + maxNodes);
            assertEquals(maxNodes, tree.size(), "free rows: every affordable node pays");
        }
        CostAwareTree shape = estimateTrees(FLAT, 64);
        DraftTree shallow = grow(shape, candidates(random), new DraftState(HEADS), 2);
        assertWellFormed(shallow, 2, 64, "auto flat, depth 2");
        assertEquals(64, shallow.size(), "8 + 64 nodes fit in two levels; the cap of 64 binds");
        DraftTree one = grow(shape, candidates(random), new DraftState(HEADS), 1);
        assertEquals(1 + shape.width(), one.size(), "depth 1 holds one node per candidate");
    }

    @Test
    void costAwareTreeOnALinearCurveGrowsNothing() {
        Random random = new Random(5);
        for (DraftState state : new DraftState[] {new DraftState(HEADS), confident()}) {
            DraftTree tree = grow(estimateTrees(LINEAR, 64), candidates(random), state, HEADS);
            assertEquals(1, tree.size(), "each row costs a full pass: speculation never pays");
        }
    }

    @Test
    void costAwareTreeDraftsOnlyTheHeadLevelsThatPay() {
        PassCostCurve flat = new PassCostCurve(new int[] {1, 64}, new double[] {1.0, 1.0});
        DraftState fresh = new DraftState(HEADS); // prior acceptance 1/2 per head
        DraftState confident = confident();
        int[] deep = {HEADS};
        CostAwareTree headAsDearAsAPass = estimateTrees(
                new SpeculationCosts(flat, new PassCostCurve(new int[] {1}, new double[] {1.0})), 64);
        assertEquals(1, headAsDearAsAPass.levels(new DraftState[] {confident}, deep, 1),
                "one more token per head at best, for a whole pass of time: one level, the least a drafting arm runs"
                        + " (whether to draft at all is for the contests with plain decoding to say)");
        CostAwareTree cheapHeads = estimateTrees(
                new SpeculationCosts(flat, new PassCostCurve(new int[] {1}, new double[] {0.1})), 64);
        assertEquals(HEADS, cheapHeads.levels(new DraftState[] {confident}, deep, 1));
        // Chain acceptance 1/2, 1/4, 1/8: tokens 1.5, 1.75, 1.875 for time 1.1, 1.2, 1.3; two levels are best.
        assertEquals(2, cheapHeads.levels(new DraftState[] {fresh}, deep, 1));
        assertEquals(1, cheapHeads.levels(new DraftState[] {confident}, new int[] {1}, 1), "token budget of one");
        assertEquals(0, cheapHeads.levels(new DraftState[] {confident}, new int[] {0}, 1), "no tokens left");
        // Heads sharing one projection: the first level costs a pass, each further one a twentieth.
        CostAwareTree sharedProjection = estimateTrees(new SpeculationCosts(flat,
                new PassCostCurve(new int[] {1}, new double[] {1.0}),
                new PassCostCurve(new int[] {1}, new double[] {0.05})), 64);
        assertEquals(HEADS, sharedProjection.levels(new DraftState[] {confident}, deep, 1),
                "5 tokens for 2.15 passes of time");
    }

    @Test
    void costAwareTreeProbesASilencedSequenceNowAndThen() {
        // The estimate's trees run (no cycle is observed, so no contest ever starts), but for this sequence every
        // row costs a whole pass: its trees get no nodes, so whatever it verifies is a probe.
        DraftingRegime drafting = new DraftingRegime(CostAwareTree.ESTIMATE);
        CostAwareTree dearRows = new CostAwareTree(new SpeculationCosts(LINEAR.pass(),
                new PassCostCurve(new int[] {1}, new double[] {1.0})), drafting, HEADS, 64);
        DraftState state = new DraftState(HEADS);
        int[] deep = {HEADS};
        Random random = new Random(9);
        List<Integer> probePasses = new ArrayList<>();
        for (int pass = 0; pass < 2000; pass++) {
            int levels = dearRows.levels(new DraftState[] {state}, deep, 1);
            DraftTree tree = new DraftTree();
            tree.reset(7);
            dearRows.growAll(new DraftTree[] {tree}, new HeadCandidates[] {candidates(random)},
                    new DraftState[] {state}, new int[] {levels}, 1);
            assertTrue(tree.size() <= 2, "a probe verifies exactly the top guess");
            if (tree.size() == 2) {
                probePasses.add(pass);
            }
            state.record(0, tree.maxDepth()); // whatever was drafted is rejected
        }
        // Rejected probes double the wait: after 16, 32, 64, ... 512 silent passes, then every 512.
        List<Integer> expected = new ArrayList<>();
        int at = -1;
        for (int wait = DraftState.FIRST_PROBE; at + wait + 1 < 2000; wait = Math.min(2 * wait, DraftState.LAST_PROBE)) {
            at += wait + 1;
            expected.add(at);
        }
        assertEquals(expected, probePasses);
    }

    /** A sequence whose heads have always been right. */
    private static DraftState confident() {
        DraftState confident = new DraftState(HEADS);
        for (int i = 0; i < 1000; i++) {
            confident.record(HEADS, HEADS);
        }
        return confident;
    }

    private record Drafted(int levels, DraftTree tree) {
    }

    /** One pass's drafting for one sequence: the head levels the shape runs and the tree it grows. */
    private static Drafted draft(CostAwareTree shape, DraftState state, Random random) {
        int levels = shape.levels(new DraftState[] {state}, new int[] {HEADS}, 1);
        DraftTree tree = new DraftTree();
        tree.reset(7);
        shape.growAll(new DraftTree[] {tree}, new HeadCandidates[] {candidates(random)}, new DraftState[] {state},
                new int[] {levels}, 1);
        return new Drafted(levels, tree);
    }

    /**
     * Runs {@code cycles} decode cycles of one confident sequence under heads the cost model says always pay, a
     * drafted cycle taking {@code draftedSeconds} for 3 tokens and a plain one 1 s for 1 token; returns how many
     * cycles drafted.
     */
    private static int draftedCycles(double draftedSeconds, int cycles) {
        CostAwareTree shape = new CostAwareTree(FLAT, HEADS, 64);
        DraftState confident = confident();
        Random random = new Random(10);
        int drafted = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            if (draft(shape, confident, random).levels() > 0) {
                drafted++;
                shape.observe(cycle % 97 == 0 ? 50 * draftedSeconds : draftedSeconds, 3); // with a stall now and then
            } else {
                shape.observe(1.0, 1);
            }
        }
        return drafted;
    }

    @Test
    void costAwareTreeDraftsWhereDraftingYieldsMoreTokensPerSecond() {
        int cycles = 10_000;
        // 3 tokens in 2 s beat 1 in 1 s: plain stretches are only rechecks, at most one stretch in five.
        int drafted = draftedCycles(2.0, cycles);
        assertTrue(cycles - drafted <= cycles / 5, (cycles - drafted) + " plain cycles of " + cycles);
        assertTrue(cycles - drafted >= DraftingRegime.STRETCH, "plain decoding is measured too");
    }

    @Test
    void costAwareTreeDecodesPlainlyWhereDraftingYieldsFewerTokensPerSecond() {
        int cycles = 10_000;
        // 3 tokens in 4 s lose to 1 in 1 s, though the cost model says heads and rows are free.
        int drafted = draftedCycles(4.0, cycles);
        assertTrue(drafted <= 0.05 * cycles, drafted + " drafted cycles of " + cycles);
        assertTrue(drafted >= 3 * DraftingRegime.STRETCH, "drafting is measured again now and then: " + drafted);
    }

    /** Top guesses' acceptance at levels 1-4 in the simulations below. */
    private static final double[] ACCEPTANCE = {0.9, 0.8, 0.2, 0.2};

    /** Levels of a top-guess chain of {@code depth} accepted in one pass, drawn from {@link #ACCEPTANCE}. */
    private static int acceptedLevels(Random random, int depth) {
        int accepted = 0;
        while (accepted < depth && random.nextDouble() < ACCEPTANCE[accepted]) {
            accepted++;
        }
        return accepted;
    }

    /**
     * Top guesses accepted at levels 1-4 with 0.9, 0.8, 0.2, 0.2 (drawn pass by pass), a pass with r drafted rows
     * taking 1 + 0.15 r seconds, the estimate's trees 3 tokens in 2 s: tokens per second 1.00 plain, 1.65 chain:1,
     * 2.02 chain:2, 1.91 chain:3 (5 % behind), 1.50 the trees. {@code auto} settles on two-level chains, trying the
     * other ways now and then. Credited with their realized tokens, the chains took turns: the text's luck moves a
     * stretch's rate by more than 5 %.
     */
    @Test
    void costAwareTreeDraftsTheChainThatMeasuresBestThroughTheTextsLuck() {
        CostAwareTree shape = new CostAwareTree(FLAT, HEADS, 64);
        DraftState confident = confident();
        Random random = new Random(13);
        int cycles = 20_000;
        int twoLevelChains = 0;
        int plain = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Drafted drafted = draft(shape, confident, random);
            DraftTree tree = drafted.tree();
            boolean chain = tree.size() == tree.maxDepth() + 1;
            if (!chain) {
                shape.observe(2.0, 3);
                continue;
            }
            int depth = tree.maxDepth();
            int accepted = acceptedLevels(random, depth);
            shape.verified(accepted, depth);
            shape.observe(1 + 0.15 * depth, 1 + accepted);
            twoLevelChains += depth == 2 ? 1 : 0;
            plain += depth == 0 ? 1 : 0;
        }
        assertTrue(twoLevelChains >= 0.85 * cycles, twoLevelChains + " two-level chains in " + cycles + " cycles");
        assertTrue(plain <= 0.05 * cycles, plain + " plain cycles in " + cycles);
    }

    /**
     * The start-up model says rows are free; decoding measures each extra row at two passes. Once the cycles it timed
     * have corrected the model, the estimate's trees, run in contests, draft next to nothing; by the model alone they
     * would take all 15 nodes they may.
     */
    @Test
    void costAwareTreeSizesTheEstimatesTreesByTheCyclesItTimed() {
        CostAwareTree shape = new CostAwareTree(FLAT, HEADS, 16);
        DraftState confident = confident();
        Random random = new Random(17);
        int estimateCycles = 0;
        int estimateNodes = 0;
        for (int cycle = 0; cycle < 20_000; cycle++) {
            Drafted drafted = draft(shape, confident, random);
            DraftTree tree = drafted.tree();
            if (cycle >= 2_000 && shape.weighsCandidates()) {
                estimateCycles++;
                estimateNodes += tree.size() - 1;
            }
            int accepted = acceptedLevels(random, tree.maxDepth());
            shape.verified(accepted, tree.maxDepth());
            shape.observe(1 + 2.0 * (tree.size() - 1), 1 + accepted);
        }
        assertTrue(estimateCycles >= 32, estimateCycles + " cycles of the estimate's trees: they contest");
        assertTrue(estimateNodes <= estimateCycles, estimateNodes + " nodes in " + estimateCycles + " cycles");
    }

    @Test
    void costAwareTreeGivesALoneSequenceMoreThanAFullBatch() {
        // Rows nearly free up to 16, then each costs as much as a whole pass.
        PassCostCurve curve = new PassCostCurve(new int[] {1, 16, 32}, new double[] {1.0, 1.1, 2.2});
        CostAwareTree shape = estimateTrees(SpeculationCosts.passOnly(curve), 64);
        Random random = new Random(6);
        int n = 12;
        DraftTree[] trees = new DraftTree[n];
        HeadCandidates[] c = new HeadCandidates[n];
        DraftState[] states = new DraftState[n];
        int[] depth = new int[n];
        for (int i = 0; i < n; i++) {
            trees[i] = new DraftTree();
            trees[i].reset(7);
            c[i] = candidates(random);
            states[i] = new DraftState(HEADS);
            depth[i] = i == 3 ? 0 : HEADS; // sequence 3 has no tokens left to draft
        }
        shape.growAll(trees, c, states, depth, n);
        int batchNodes = 0;
        for (int i = 0; i < n; i++) {
            assertWellFormed(trees[i], depth[i], 64, "batch sequence " + i);
            batchNodes += trees[i].size() - 1;
        }
        assertEquals(1, trees[3].size(), "depth 0: root only");
        DraftTree alone = grow(shape, c[0], states[0], HEADS);
        assertWellFormed(alone, HEADS, 64, "alone");
        assertTrue(alone.size() - 1 > batchNodes / (double) (n - 1),
                "a lone sequence should get more nodes (" + (alone.size() - 1) + ") than a batch member on average ("
                        + batchNodes / (double) (n - 1) + ")");
        assertTrue(n + batchNodes <= 32, "the batch stays near the cheap part of the curve: " + (n + batchNodes));
    }

    @Test
    void headCandidatesKeepTheTopByLogitWithLowerIdsFirstOnTies() {
        HeadCandidates c = new HeadCandidates(2, 3);
        float[] logits = {9, 9, 1, 3, 3, 2, 0, 3, 9, 9};
        c.select(1, logits, 5, 5, 3, true, null); // the second row: 2 0 3 9 9
        assertArrayEquals(new int[] {3, 4, 2}, c.ids[1]);
        double total = Math.exp(2) + Math.exp(0) + Math.exp(3) + 2 * Math.exp(9);
        // The denominator sums float exponentials (the same on every CPU): float precision.
        assertEquals(Math.exp(9) / total, c.probs[1][0], 1e-6);
        assertEquals(Math.exp(9) / total, c.probs[1][1], 1e-6);
        assertEquals(Math.exp(3) / total, c.probs[1][2], 1e-6);

        Random random = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int vocab = 1 + random.nextInt(40);
            int width = 1 + random.nextInt(Math.min(vocab, 8));
            float[] l = new float[vocab];
            for (int v = 0; v < vocab; v++) {
                l[v] = random.nextInt(6); // many ties
            }
            HeadCandidates h = new HeadCandidates(1, 8);
            h.select(0, l, 0, vocab, width, random.nextBoolean(), null);
            Integer[] order = new Integer[vocab];
            for (int v = 0; v < vocab; v++) {
                order[v] = v;
            }
            Arrays.sort(order, (a, b) -> l[a] != l[b] ? Float.compare(l[b], l[a]) : Integer.compare(a, b));
            for (int r = 0; r < width; r++) {
                assertEquals(order[r], h.ids[0][r], "trial " + trial + " rank " + r + " of " + Arrays.toString(l));
            }
        }
    }
}
