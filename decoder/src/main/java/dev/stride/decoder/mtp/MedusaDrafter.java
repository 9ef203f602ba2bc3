package dev.stride.decoder.mtp;

import dev.stride.decoder.compute.TensorOps;

/** Drafts trees from Medusa heads: run the heads on each sequence's hidden state, then grow the tree shape. */
public final class MedusaDrafter implements Drafter {

    private final MedusaHeads heads;
    private final TreeShape shape;
    private final TensorOps ops;
    private HeadCandidates[] candidates = new HeadCandidates[0];
    private float[] x = new float[0];
    private float[] linear = new float[0];
    private float[][] logits = new float[0][];
    private int rows;

    public MedusaDrafter(MedusaHeads heads, TreeShape shape, TensorOps ops) {
        if (shape.maxDepth() > heads.numHeads()) {
            throw new IllegalArgumentException("tree " + shape.describe() + " is " + shape.maxDepth()
                    + " levels deep but there are only " + heads.numHeads() + " heads");
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
        heads.forward(ops, hidden, n, x, linear, logits);
        int vocab = heads.vocabSize();
        int levels = shape.maxDepth();
        for (int i = 0; i < n; i++) {
            int depth = Math.min(levels, maxDepth[i]);
            for (int k = 0; k < depth; k++) {
                candidates[i].select(k, logits[k], i * vocab, vocab, shape.width());
            }
        }
        shape.growAll(trees, candidates, states, maxDepth, n);
    }

    private void ensureRows(int n) {
        if (n <= rows) {
            return;
        }
        int h = heads.hiddenSize();
        x = new float[n * h];
        linear = new float[n * h];
        logits = new float[heads.numHeads()][n * heads.vocabSize()];
        candidates = new HeadCandidates[n];
        for (int i = 0; i < n; i++) {
            candidates[i] = new HeadCandidates(heads.numHeads(), Math.max(1, shape.width()));
        }
        rows = n;
    }
}
