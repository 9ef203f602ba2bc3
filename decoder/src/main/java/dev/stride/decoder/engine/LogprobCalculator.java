package dev.stride.decoder.engine;

import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.compute.VectorExp;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Log-softmax of one logits row at a chosen token, plus the top alternatives. Reproducible bit for bit on every CPU
 * and JIT tier: the exponentials are the project's own lane-wise {@link VectorExp} (each lane's result does not
 * depend on the vector width), they are summed one by one in id order in double precision, and the logarithm is
 * {@link StrictMath#log}. Holds scratch: one instance per decoder.
 */
final class LogprobCalculator {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private final int vocab;
    private final float[] exps; // exp(logit - max), padded to whole vectors
    private final int[] topIds = new int[GenerationRequest.MAX_LOGPROBS];
    private final float[] topLogits = new float[GenerationRequest.MAX_LOGPROBS];

    LogprobCalculator(int vocab) {
        this.vocab = vocab;
        this.exps = new float[(vocab + F.length() - 1) / F.length() * F.length()];
    }

    TokenLogprob of(float[] logits, int offset, int token, int top) {
        if (top < 0 || top > GenerationRequest.MAX_LOGPROBS) {
            throw new IllegalArgumentException("top log-probabilities must be in [0, "
                    + GenerationRequest.MAX_LOGPROBS + "], got " + top);
        }
        float max = Logits.max(logits, offset, vocab);
        double logSum = StrictMath.log(VectorExp.sumExpBelow(max, logits, offset, vocab, exps));
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
        int n = Logits.top(logits, offset, vocab, top, topIds);
        for (int i = 0; i < n; i++) {
            topLogits[i] = logits[offset + topIds[i]];
        }
        return n;
    }
}
