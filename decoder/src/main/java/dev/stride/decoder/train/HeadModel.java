package dev.stride.decoder.train;

import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Trainable float32 weights of K Medusa heads (same math as {@link MedusaHeads}), plus transposed copies of the
 * matrices that the backward pass multiplies by. The same shape holds gradients and optimizer moments.
 */
public final class HeadModel {

    private final int heads;
    private final int layers;
    private final int hidden;
    private final int vocab;
    final ArrayMatrix[][] blocks;    // (heads, layers) of (hidden, hidden)
    final float[][][] biases;        // (heads, layers) of (hidden)
    final ArrayMatrix[] projections; // (heads) of (vocab, hidden)
    final ArrayMatrix[][] blocksT;   // transposes, refreshed by refreshTransposes()
    final ArrayMatrix[] projectionsT;

    private HeadModel(int heads, int layers, int hidden, int vocab, boolean withTransposes) {
        if (heads <= 0 || layers < 0) {
            throw new IllegalArgumentException("need heads > 0 and layers >= 0, got " + heads + " and " + layers);
        }
        this.heads = heads;
        this.layers = layers;
        this.hidden = hidden;
        this.vocab = vocab;
        blocks = new ArrayMatrix[heads][layers];
        biases = new float[heads][layers][hidden];
        projections = new ArrayMatrix[heads];
        blocksT = withTransposes ? new ArrayMatrix[heads][layers] : null;
        projectionsT = withTransposes ? new ArrayMatrix[heads] : null;
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                blocks[k][l] = new ArrayMatrix(hidden, hidden);
                if (withTransposes) {
                    blocksT[k][l] = new ArrayMatrix(hidden, hidden);
                }
            }
            projections[k] = new ArrayMatrix(vocab, hidden);
            if (withTransposes) {
                projectionsT[k] = new ArrayMatrix(hidden, vocab);
            }
        }
    }

    /** All-zero weights without transposes: gradient and moment buffers. */
    public static HeadModel zeros(int heads, int layers, int hidden, int vocab) {
        return new HeadModel(heads, layers, hidden, vocab, false);
    }

    /**
     * Medusa's initialisation: residual blocks at zero, so SiLU(0) = 0 makes each block the identity, and every
     * projection a copy of the base lm_head. Training starts from "each head guesses the next token".
     */
    public static HeadModel initial(WeightMatrix lmHead, int heads, int layers) {
        HeadModel model = new HeadModel(heads, layers, lmHead.cols(), lmHead.rows(), true);
        float[] row = new float[lmHead.cols()];
        for (int k = 0; k < heads; k++) {
            float[] p = model.projections[k].values();
            for (int v = 0; v < lmHead.rows(); v++) {
                lmHead.loadRow(v, row);
                System.arraycopy(row, 0, p, v * row.length, row.length);
            }
        }
        model.refreshTransposes();
        return model;
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

    /** Every tensor in a fixed order (per head: block weight and bias per layer, then projection); live arrays. */
    public List<float[]> tensors() {
        List<float[]> out = new ArrayList<>();
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                out.add(blocks[k][l].values());
                out.add(biases[k][l]);
            }
            out.add(projections[k].values());
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
            out.add(k + "." + layers + ".weight");
        }
        return out;
    }

    /** Whether tensor i (in {@link #tensors()} order) is a matrix: weight decay applies to matrices only. */
    public boolean isMatrix(int i) {
        return i % (2 * layers + 1) % 2 == 0;
    }

    /** Copies of the current weights as heads the engine can run or {@code HeadsWriter} can save. */
    public MedusaHeads toMedusaHeads(String name) {
        WeightMatrix[][] b = new WeightMatrix[heads][layers];
        float[][][] bias = new float[heads][layers][];
        WeightMatrix[] p = new WeightMatrix[heads];
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                b[k][l] = new ArrayMatrix(blocks[k][l].values().clone(), hidden, hidden);
                bias[k][l] = biases[k][l].clone();
            }
            p[k] = new ArrayMatrix(projections[k].values().clone(), vocab, hidden);
        }
        return new MedusaHeads(name, b, bias, p);
    }

    /** Re-derives the transposed copies after the weights changed. */
    public void refreshTransposes() {
        for (int k = 0; k < heads; k++) {
            for (int l = 0; l < layers; l++) {
                Transpose.into(blocks[k][l].values(), hidden, hidden, blocksT[k][l].values());
            }
            Transpose.into(projections[k].values(), vocab, hidden, projectionsT[k].values());
        }
    }
}
