package dev.stride.decoder.mtp;

import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.compute.VectorExp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The top candidates of each head for one sequence, most likely first (ties to the lower logit index: the lower id,
 * or with a draft vocabulary the token listed first), with their softmax probabilities. Reused across sequences and
 * steps. The probabilities shape trees, so they are computed the same way on every CPU (see
 * {@link VectorExp#sumExpBelow}): a fixed tree's statistics do not depend on the machine.
 */
final class HeadCandidates {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    final int[][] ids;     // (heads, width)
    final double[][] probs; // (heads, width)

    private float[] exps = new float[0];

    HeadCandidates(int heads, int maxWidth) {
        this.ids = new int[heads][maxWidth];
        this.probs = new double[heads][maxWidth];
    }

    /**
     * Fills head k's top {@code width} entries from logits[offset, offset + vocab), and their probabilities if
     * {@code weigh} (the softmax over the vocabulary is most of a selection's time: 2,048 logits, top 8 with
     * probabilities 3.1 µs, the top one alone 0.4 µs). With {@code tokenIds} (a draft vocabulary) logit i is token
     * tokenIds[i]; null: logit i is token i.
     */
    void select(int head, float[] logits, int offset, int vocab, int width, boolean weigh, int[] tokenIds) {
        Logits.top(logits, offset, vocab, width, ids[head]);
        if (weigh) {
            weigh(head, logits, offset, vocab, width);
        }
        if (tokenIds != null) {
            for (int i = 0; i < width; i++) {
                ids[head][i] = tokenIds[ids[head][i]];
            }
        }
    }

    /** Softmax probabilities of head k's top {@code width} entries over its logits. */
    private void weigh(int head, float[] logits, int offset, int vocab, int width) {
        float max = Logits.max(logits, offset, vocab);
        if (exps.length < vocab + F.length()) {
            exps = new float[vocab + F.length()];
        }
        double total = VectorExp.sumExpBelow(max, logits, offset, vocab, exps);
        for (int i = 0; i < width; i++) {
            probs[head][i] = StrictMath.exp((double) logits[offset + ids[head][i]] - max) / total;
        }
    }

    /**
     * Probability that head k's candidate at {@code rank} is accepted, calibrated so that the head's top guess
     * scores its observed acceptance rate for this sequence; the ranks keep the head's own proportions.
     */
    double calibratedProbability(int head, int rank, DraftState state) {
        double calibration = state.acceptance(head) / Math.max(probs[head][0], 1e-9);
        return Math.min(1.0, probs[head][rank] * calibration);
    }
}
