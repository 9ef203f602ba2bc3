package dev.stride.decoder.train;

import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Trainable float32 weights of K Medusa heads (same math as {@link MedusaHeads}), plus transposed copies of the
 * matrices that the backward pass multiplies by. The same shape holds gradients and optimizer moments. With a
 * shared projection every head projects with one frozen copy of the base model's lm_head: only the residual blocks
 * are trained, and gradients and moments hold no projection. With token input each head's first block also reads
 * the base model's (frozen) embedding of the token after the hidden state's position, through a matrix of its own.
 */
public final class HeadModel {

    private final int heads;
    private final int layers;
    private final int hidden;
    private final int vocab;
    private final boolean sharedProjection;
    private final WeightMatrix embedding;  // the base model's, frozen; null without token input
    final ArrayMatrix[][] blocks;    // (heads, layers) of (hidden, hidden)
    final float[][][] biases;        // (heads, layers) of (hidden)
    final ArrayMatrix[] projections; // (heads) of (vocab, hidden); one frozen matrix when shared, null in its gradients
    final ArrayMatrix[] tokenInputs; // (heads) of (hidden, hidden); null without token input
    final ArrayMatrix[][] blocksT;   // transposes, refreshed by refreshTransposes()
    final ArrayMatrix[] projectionsT;

    private HeadModel(int heads, int layers, int hidden, int vocab, boolean sharedProjection, WeightMatrix embedding,
                      boolean withTransposes) {
        if (heads <= 0 || layers < 0) {
            throw new IllegalArgumentException("need heads > 0 and layers >= 0, got " + heads + " and " + layers);
        }
        if (embedding != null && layers == 0) {
            throw new IllegalArgumentException("token input needs at least one residual layer to read it");
        }
        this.heads = heads;
        this.layers = layers;
        this.hidden = hidden;
        this.vocab = vocab;
        this.sharedProjection = sharedProjection;
        this.embedding = embedding;
        blocks = new ArrayMatrix[heads][layers];
        biases = new float[heads][layers][hidden];
        projections = new ArrayMatrix[heads];
        tokenInputs = embedding == null ? null : new ArrayMatrix[heads];
        blocksT = withTransposes ? new ArrayMatrix[heads][layers] : null;
        projectionsT = withTransposes ? new ArrayMatrix[heads] : null;
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                blocks[k][l] = new ArrayMatrix(hidden, hidden);
                if (withTransposes) {
                    blocksT[k][l] = new ArrayMatrix(hidden, hidden);
                }
            }
            if (tokenInputs != null) {
                tokenInputs[k] = new ArrayMatrix(hidden, hidden);
            }
            if (!sharedProjection) {
                projections[k] = new ArrayMatrix(vocab, hidden);
                if (withTransposes) {
                    projectionsT[k] = new ArrayMatrix(hidden, vocab);
                }
            }
        }
    }

    /**
     * Bytes that training such heads holds at least: the weights, their transposes, the gradients and AdamW's two
     * moments (the shared projection and its transpose once), and a batch of {@code batchSize} rows' logits and
     * activations. In double: absurd counts would overflow a long.
     */
    public static double trainingBytes(int heads, int layers, int hidden, int vocab, boolean sharedProjection,
                                       boolean tokenInput, int batchSize) {
        double projection = (double) vocab * hidden;
        double blocks = (double) (layers + (tokenInput ? 1 : 0)) * hidden * hidden;
        double trainable = (double) heads * (blocks + (double) layers * hidden + (sharedProjection ? 0 : projection));
        double transposes = (double) heads * (blocks + (sharedProjection ? 0 : projection));
        double frozen = sharedProjection ? 2 * projection : 0;
        double batch = (double) batchSize * (2.0 * vocab + (2.0 * layers + (tokenInput ? 6 : 4)) * hidden);
        return Float.BYTES * (4 * trainable + transposes + frozen + batch);
    }

    /** All-zero weights without transposes: gradient and moment buffers. */
    public static HeadModel zeros(int heads, int layers, int hidden, int vocab) {
        return new HeadModel(heads, layers, hidden, vocab, false, null, false);
    }

    /** Gradient and moment buffers for {@code model}'s trainable tensors. */
    public static HeadModel zerosLike(HeadModel model) {
        return new HeadModel(model.heads, model.layers, model.hidden, model.vocab, model.sharedProjection,
                model.embedding, false);
    }

    /**
     * Medusa's initialisation: residual blocks at zero, so SiLU(0) = 0 makes each block the identity, and every
     * projection a copy of the base lm_head (or, shared, the one frozen copy). Training starts from "each head
     * guesses the next token".
     */
    public static HeadModel initial(WeightMatrix lmHead, int heads, int layers, boolean sharedProjection) {
        return initial(lmHead, null, heads, layers, sharedProjection);
    }

    /**
     * The same, with token input from {@code embedding} (the base model's, frozen) unless it is null: the input
     * matrices start at zero, so training still starts from "each head guesses the next token".
     */
    public static HeadModel initial(WeightMatrix lmHead, WeightMatrix embedding, int heads, int layers,
                                    boolean sharedProjection) {
        HeadModel model = new HeadModel(heads, layers, lmHead.cols(), lmHead.rows(), sharedProjection, embedding,
                true);
        if (sharedProjection) {
            ArrayMatrix shared = copy(lmHead);
            ArrayMatrix sharedT = new ArrayMatrix(lmHead.cols(), lmHead.rows());
            Transpose.into(shared.values(), lmHead.rows(), lmHead.cols(), sharedT.values());
            Arrays.fill(model.projections, shared);
            Arrays.fill(model.projectionsT, sharedT);
        } else {
            for (int k = 0; k < heads; k++) {
                model.projections[k] = copy(lmHead);
            }
        }
        model.refreshTransposes();
        return model;
    }

    private static ArrayMatrix copy(WeightMatrix m) {
        return new ArrayMatrix(m.toFloats(), m.rows(), m.cols());
    }

    public int heads() {
        return heads;
    }

    public int layers() {
        return layers;
    }

    public int hidden() {
        return hidden;
    }

    public int vocab() {
        return vocab;
    }

    /** The base model's embedding that token input reads; null without token input. */
    WeightMatrix embedding() {
        return embedding;
    }

    public boolean tokenInput() {
        return embedding != null;
    }

    /** Whether the heads project with the base model's lm_head, frozen, instead of trained projections. */
    public boolean sharedProjection() {
        return sharedProjection;
    }

    /**
     * Every trainable tensor in a fixed order (per head: block weight and bias per layer, the token input matrix if
     * any, then the projection unless it is shared); live arrays.
     */
    public List<float[]> tensors() {
        List<float[]> out = new ArrayList<>();
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                out.add(blocks[k][l].values());
                out.add(biases[k][l]);
            }
            if (tokenInputs != null) {
                out.add(tokenInputs[k].values());
            }
            if (!sharedProjection) {
                out.add(projections[k].values());
            }
        }
        return out;
    }

    /** Names matching {@link #tensors()}, in the FasterDecoding layout that {@code HeadsWriter} uses. */
    public List<String> tensorNames() {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                out.add(k + "." + l + ".linear.weight");
                out.add(k + "." + l + ".linear.bias");
            }
            if (tokenInputs != null) {
                out.add(k + "." + MedusaHeads.TOKEN_INPUT);
            }
            if (!sharedProjection) {
                out.add(k + "." + layers + ".weight");
            }
        }
        return out;
    }

    /**
     * Whether tensor i (in {@link #tensors()} order) is a residual block's weight matrix or a token input matrix, the
     * only tensors weight decay applies to (both start at zero): a projection is a matrix too, but it starts as the
     * lm_head.
     */
    public boolean isBlockMatrix(int i) {
        int inputs = tokenInputs == null ? 0 : 1;
        int inHead = i % (2 * layers + inputs + (sharedProjection ? 0 : 1));
        return inHead < 2 * layers ? inHead % 2 == 0 : inHead < 2 * layers + inputs;
    }

    /** Copies of the current weights as heads the engine can run or {@code HeadsWriter} can save. */
    public MedusaHeads toMedusaHeads(String name) {
        WeightMatrix[][] b = new WeightMatrix[heads][layers];
        float[][][] bias = new float[heads][layers][];
        WeightMatrix[] p = new WeightMatrix[heads];
        WeightMatrix[] inputs = new WeightMatrix[heads];
        for (int k = 0; k < heads; k++) {
            if (tokenInputs != null) {
                inputs[k] = new ArrayMatrix(tokenInputs[k].values().clone(), hidden, hidden);
            }
            for (int l = 0; l < layers; l++) {
                b[k][l] = new ArrayMatrix(blocks[k][l].values().clone(), hidden, hidden);
                bias[k][l] = biases[k][l].clone();
            }
            p[k] = sharedProjection && k > 0 ? p[0] : new ArrayMatrix(projections[k].values().clone(), vocab, hidden);
        }
        return new MedusaHeads(name, b, bias, p, sharedProjection,
                tokenInputs == null ? null : new MedusaHeads.TokenInput(inputs, embedding));
    }

    /** Re-derives the transposed copies after the weights changed (a shared projection never does). */
    public void refreshTransposes() {
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                Transpose.into(blocks[k][l].values(), hidden, hidden, blocksT[k][l].values());
            }
            if (!sharedProjection) {
                Transpose.into(projections[k].values(), vocab, hidden, projectionsT[k].values());
            }
        }
    }
}
