package dev.stride.decoder.mtp;

import dev.stride.decoder.compute.TensorOps;

/**
 * Drafts trees from Medusa heads: the shape says how many head levels this pass is worth, only those heads run on
 * each sequence's hidden state (a head costs about as much as the lm_head), then the shape grows the trees.
 */
public final class MedusaDrafter implements Drafter {

    private final MedusaHeads heads;
    private final TreeShape shape;
    private final TensorOps ops;
    private HeadCandidates[] candidates = new HeadCandidates[0];
    private MedusaHeads.Scratch scratch;
    private int[] depthLimit = new int[0];
    private int[] roots = new int[0];

    public MedusaDrafter(MedusaHeads heads, TreeShape shape, TensorOps ops) {
        if (shape.maxDepth() > heads.numHeads()) {
            throw new IllegalArgumentException("tree " + shape.describe() + " is " + shape.maxDepth()
                    + " levels deep but there are only " + heads.numHeads() + " heads");
        }
        if (shape.width() > heads.vocabSize()) {
            throw new IllegalArgumentException("tree " + shape.describe() + " takes the top " + shape.width()
                    + " candidates of a head but the heads propose from " + heads.vocabSize() + " tokens"
                    + (heads.draftIds() == null ? "" : " (their " + DraftVocabulary.FILE + ")"));
        }
        this.heads = heads;
        this.shape = shape;
        this.ops = ops;
    }

    public TreeShape shape() {
        return shape;
    }

    @Override
    public int maxTokensPerPass() {
        return shape.maxDepth() + 1;
    }

    @Override
    public int maxTreeNodes() {
        return shape.maxNodes();
    }

    @Override
    public DraftState newState() {
        return new DraftState(heads.numHeads());
    }

    @Override
    public void draft(float[] hidden, int n, int[] maxDepth, DraftState[] states, DraftTree[] trees) {
        ensureRows(n);
        int levels = shape.levels(states, maxDepth, n);
        for (int i = 0; i < n; i++) {
            depthLimit[i] = Math.min(levels, maxDepth[i]);
            roots[i] = trees[i].token(0); // the model's choice after the hidden state: heads with token input read it
        }
        heads.forward(ops, levels, hidden, roots, n, scratch,
                (k, logits, offset) -> select(k, logits, offset, maxDepth, n));
        shape.growAll(trees, candidates, states, depthLimit, n);
    }

    @Override
    public void verified(int acceptedDepth, int treeDepth) {
        shape.verified(acceptedDepth, treeDepth);
    }

    /** The shape learns from it what drafting really yields. */
    @Override
    public void cycleTook(double seconds, int tokens) {
        shape.observe(seconds, tokens);
    }

    /** Keeps each sequence's candidates from head level k, for sequences that may draft that deep. */
    private void select(int k, float[] logits, int offset, int[] maxDepth, int n) {
        int vocab = heads.vocabSize();
        int width = shape.passWidth();
        boolean weigh = shape.weighsCandidates();
        for (int i = 0; i < n; i++) {
            if (maxDepth[i] > k) {
                candidates[i].select(k, logits, offset + i * vocab, vocab, width, weigh, heads.draftIds());
            }
        }
    }

    private void ensureRows(int n) {
        if (scratch != null && n <= scratch.rows()) {
            return;
        }
        scratch = heads.newScratch(n);
        depthLimit = new int[n];
        roots = new int[n];
        candidates = new HeadCandidates[n];
        for (int i = 0; i < n; i++) {
            candidates[i] = new HeadCandidates(heads.numHeads(), Math.max(1, shape.width()));
        }
    }
}
