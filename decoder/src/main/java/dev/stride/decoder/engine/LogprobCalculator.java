package dev.stride.decoder.engine;

import dev.stride.decoder.compute.VectorExp;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Log-softmax of one logits row at a chosen token, plus the top alternatives. Reproducible bit for bit on every CPU
 * and JIT tier: the exponentials are the project's own lane-wise {@link VectorExp} (each lane's result does not
 * depend on the vector width), they are summed one by one in id order in double precision, and the logarithm is
 * {@link StrictMath#log}. Holds scratch: one instance per decoder.
 */
final class LogprobCalculator {

    /** The most alternatives a token may report; more would cost O(vocab * N) per token for little use. */
    static final int MAX_TOP = 20;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final int vocab;
    private final float[] exps;  // exp(logit - max), padded to whole vectors
    private final int[] topIds = new int[MAX_TOP];
    private final float[] topLogits = new float[MAX_TOP];

    LogprobCalculator(int vocab) {
        this.vocab = vocab;
        this.exps = new float[(vocab + F.length() - 1) / F.length() * F.length()];
    }

    TokenLogprob of(float[] logits, int offset, int token, int top) {
        if (top < 0 || top > MAX_TOP) {
            throw new IllegalArgumentException("top log-probabilities must be in [0, " + MAX_TOP + "], got " + top);
        }
        float max = logits[offset + CoupledSampler.argmax(logits, offset, vocab)];
        System.arraycopy(logits, offset, exps, 0, vocab);
        Arrays.fill(exps, vocab, exps.length, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < exps.length; i += F.length()) {
            VectorExp.expNonPositive(F, FloatVector.fromArray(F, exps, i).sub(max)).intoArray(exps, i);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += exps[i];
        }
        double logSum = StrictMath.log(sum);
        int n = selectTop(logits, offset, top);
        int[] ids = new int[n];
        float[] logprobs = new float[n];
        for (int i = 0; i < n; i++) {
            ids[i] = topIds[i];
            logprobs[i] = logprob(topLogits[i], max, logSum);
        }
        return new TokenLogprob(token, logprob(logits[offset + token], max, logSum), ids, logprobs);
    }

    private static float logprob(float logit, float max, double logSum) {
        return (float) (((double) logit - max) - logSum);
    }

    /** The {@code top} largest logits (lower id first among equals) into topIds/topLogits; returns how many. */
    private int selectTop(float[] logits, int offset, int top) {
        if (top == 0) {
            return 0;
        }
        int n = 0;
        for (int id = 0; id < vocab; id++) {
            float logit = logits[offset + id];
            if (n == top && !(logit > topLogits[n - 1])) {
                continue;
            }
            int at = n == top ? n - 1 : n++;
            while (at > 0 && logit > topLogits[at - 1]) { // strictly greater: an earlier (lower) id keeps its place
                topLogits[at] = topLogits[at - 1];
                topIds[at] = topIds[at - 1];
                at--;
            }
            topLogits[at] = logit;
            topIds[at] = id;
        }
        return n;
    }
}
