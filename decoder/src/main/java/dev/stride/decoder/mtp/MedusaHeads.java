package dev.stride.decoder.mtp;

import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.util.function.UnaryOperator;

/**
 * K prediction heads on the base model's final-norm hidden state. Head k is {@code layers} residual blocks
 * {@code x + SiLU(W x + b)} followed by a vocabulary projection, and guesses the token k + 2 positions ahead of
 * the hidden state's own position (the base model's lm_head guesses k + 1 = 1). Heads with a shared projection
 * all project with the base model's lm_head (as Hydra and EAGLE do), so all levels' projections run as rows of one
 * matmul that reads that matrix once. Heads with token input (a Stride extension, after EAGLE's use of the next
 * token) also know the token that follows the hidden state's position, which the base model has chosen by the time
 * the heads draft (the tree's root): each head's first block adds {@code U e} to {@code W x}, with e the base
 * model's embedding of that token and U the head's own (hidden, hidden) matrix. Under greedy decoding the token is
 * a function of the hidden state, but not one small blocks can compute; under sampling it is not even that.
 *
 * @param blocks (heads, layers) matrices of shape (hidden, hidden)
 * @param biases (heads, layers) vectors of length hidden
 * @param projections (heads) matrices of shape (vocab, hidden); when shared, one matrix for every head
 * @param draftIds the token of each projection row when the heads project onto a {@link DraftVocabulary} (rows of
 *                 the full projections, in this order); null when they project onto the whole vocabulary
 * @param tokenInput the heads' token input; null without
 */
public record MedusaHeads(String name, WeightMatrix[][] blocks, float[][][] biases, WeightMatrix[] projections,
                          boolean sharedProjection, int[] draftIds, TokenInput tokenInput) {

    /** Tensor name of head k's token input matrix, after {@code k + "."}. */
    public static final String TOKEN_INPUT = "token_input.weight";

    /**
     * @param matrices (heads) matrices of shape (hidden, hidden)
     * @param embedding the base model's token embedding, (vocab, hidden)
     */
    public record TokenInput(WeightMatrix[] matrices, WeightMatrix embedding) {
    }

    public MedusaHeads {
        if (projections.length == 0) {
            throw new IllegalArgumentException("heads: need at least one head");
        }
        if (tokenInput != null && (tokenInput.matrices().length != projections.length || blocks[0].length == 0)) {
            throw new IllegalArgumentException("heads: token input needs a matrix per head and a residual layer");
        }
        for (WeightMatrix p : projections) {
            if (sharedProjection && p != projections[0]) {
                throw new IllegalArgumentException("heads: a shared projection must be one matrix for every head");
            }
            if (draftIds != null && p.rows() != draftIds.length) {
                throw new IllegalArgumentException("heads: a projection of " + p.rows() + " rows for a draft vocabulary"
                        + " of " + draftIds.length + " tokens");
            }
        }
    }

    /** Heads that propose from the whole vocabulary. */
    public MedusaHeads(String name, WeightMatrix[][] blocks, float[][][] biases, WeightMatrix[] projections,
                       boolean sharedProjection, TokenInput tokenInput) {
        this(name, blocks, biases, projections, sharedProjection, null, tokenInput);
    }

    /** Heads that propose from the whole vocabulary, without token input. */
    public MedusaHeads(String name, WeightMatrix[][] blocks, float[][][] biases, WeightMatrix[] projections,
                       boolean sharedProjection) {
        this(name, blocks, biases, projections, sharedProjection, null, null);
    }

    /** Heads with a projection each, proposing from the whole vocabulary. */
    public MedusaHeads(String name, WeightMatrix[][] blocks, float[][][] biases, WeightMatrix[] projections) {
        this(name, blocks, biases, projections, false);
    }

    /**
     * The same heads projecting onto {@code vocabulary}'s tokens only: each projection's rows of those tokens, held
     * by {@code hold} (a shared projection's once, for every head).
     */
    public MedusaHeads restrictedTo(DraftVocabulary vocabulary, UnaryOperator<WeightMatrix> hold) {
        if (draftIds != null) {
            throw new IllegalStateException("heads " + name + " already project onto a draft vocabulary");
        }
        WeightMatrix[] restricted = new WeightMatrix[projections.length];
        for (int k = 0; k < projections.length; k++) {
            restricted[k] = sharedProjection && k > 0 ? restricted[0]
                    : hold.apply(rows(projections[k], vocabulary.ids()));
        }
        return new MedusaHeads(name, blocks, biases, restricted, sharedProjection, vocabulary.ids().clone(),
                tokenInput);
    }

    private static WeightMatrix rows(WeightMatrix m, int[] ids) {
        float[] values = new float[ids.length * m.cols()];
        for (int i = 0; i < ids.length; i++) {
            m.loadRow(ids[i], values, i * m.cols());
        }
        return new ArrayMatrix(values, ids.length, m.cols());
    }

    public int numHeads() {
        return projections.length;
    }

    public int numLayers() {
        return blocks[0].length;
    }

    public int hiddenSize() {
        return projections[0].cols();
    }

    /** Rows of a head's logits: the draft vocabulary's size, or the model's vocabulary. */
    public int vocabSize() {
        return projections[0].rows();
    }

    /** Receives the logits of one head level for n hidden states: row i at {@code logits[offset + i * vocab]}. */
    @FunctionalInterface
    public interface LevelLogits {
        void accept(int level, float[] logits, int offset);
    }

    /** Working memory of {@link #forward} for up to {@code rows} hidden states at a time. */
    public final class Scratch {
        private final int rows;
        private final float[] x;
        private final float[] linear;
        private final float[] embedded; // the next tokens' embeddings, for token input
        private final float[] tokenTerm;
        private final float[] stacked; // every level's residual stream, for the shared projection
        private final float[] logits;

        private Scratch(int rows) {
            int levelRows = sharedProjection ? numHeads() * rows : rows;
            this.rows = rows;
            this.x = new float[rows * hiddenSize()];
            this.linear = new float[rows * hiddenSize()];
            this.embedded = tokenInput == null ? null : new float[rows * hiddenSize()];
            this.tokenTerm = tokenInput == null ? null : new float[rows * hiddenSize()];
            this.stacked = sharedProjection ? new float[levelRows * hiddenSize()] : null;
            this.logits = new float[levelRows * vocabSize()];
        }

        public int rows() {
            return rows;
        }
    }

    public Scratch newScratch(int rows) {
        return new Scratch(rows);
    }

    /**
     * Logits of heads [0, levels) for n hidden states, handed to {@code sink} level by level. With a shared
     * projection every level's residual stream is computed first and all are projected in one matmul; otherwise
     * each level runs whole before the next. Either way each row gets the logits {@link #forwardHead} gives it.
     *
     * @param nextTokens the token after each hidden state's position (read only by heads with token input)
     */
    public void forward(TensorOps ops, int levels, float[] hidden, int[] nextTokens, int n, Scratch s,
                        LevelLogits sink) {
        if (n > s.rows) {
            throw new IllegalArgumentException("heads: scratch for " + s.rows + " rows, got " + n);
        }
        if (levels == 0) {
            return; // a pass that drafts nothing (auto decoding plainly) reads no embedding and multiplies nothing
        }
        embed(nextTokens, n, s); // once for every level
        if (!sharedProjection) {
            for (int k = 0; k < levels; k++) {
                residual(ops, k, hidden, n, s);
                ops.matmul(projections[k], s.x, n, s.logits);
                sink.accept(k, s.logits, 0);
            }
            return;
        }
        int h = hiddenSize();
        for (int k = 0; k < levels; k++) {
            residual(ops, k, hidden, n, s);
            System.arraycopy(s.x, 0, s.stacked, k * n * h, n * h);
        }
        ops.matmul(projections[0], s.stacked, levels * n, s.logits);
        for (int k = 0; k < levels; k++) {
            sink.accept(k, s.logits, k * n * vocabSize());
        }
    }

    /**
     * Logits of head k alone for n hidden states (the per-head reference that {@link #forward} matches row for row).
     *
     * @param logits (n, vocab)
     */
    public void forwardHead(TensorOps ops, int k, float[] hidden, int[] nextTokens, int n, Scratch s, float[] logits) {
        embed(nextTokens, n, s);
        residual(ops, k, hidden, n, s);
        ops.matmul(projections[k], s.x, n, logits);
    }

    /** The next tokens' embeddings into s, for heads with token input. */
    private void embed(int[] nextTokens, int n, Scratch s) {
        if (tokenInput != null) {
            for (int i = 0; i < n; i++) {
                tokenInput.embedding().loadRow(nextTokens[i], s.embedded, i * hiddenSize());
            }
        }
    }

    /** Head k's residual stream for n hidden states, into s.x (the next tokens' embeddings already in s). */
    private void residual(TensorOps ops, int k, float[] hidden, int n, Scratch s) {
        int h = hiddenSize();
        System.arraycopy(hidden, 0, s.x, 0, n * h);
        for (int l = 0; l < numLayers(); l++) {
            ops.matmul(blocks[k][l], s.x, n, s.linear);
            if (l == 0 && tokenInput != null) {
                ops.matmul(tokenInput.matrices()[k], s.embedded, n, s.tokenTerm);
                for (int i = 0; i < n * h; i++) {
                    s.linear[i] += s.tokenTerm[i];
                }
            }
            ops.addSiluResidual(s.linear, biases[k][l], s.x, n, h);
        }
    }
}
