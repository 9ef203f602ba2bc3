package dev.stride.decoder.compute;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scans over one row of logits: the largest value, the first id holding it, the top few ids. Each answer is exact
 * (a maximum and a comparison do not round), so whole vectors may look first and the result is the same on every
 * CPU and JIT tier. Decoding runs these on every row it verifies and on every head level it drafts, a few thousand
 * logits each: scalar, with a branch per logit, they cost microseconds per row.
 */
public final class Logits {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Logits() {
    }

    /**
     * The largest of x[off, off + len), as Math.max finds it (NaN if any is NaN); len > 0. Four vectors of lane
     * maxima: a lane-wise maximum with Java's NaN and signed-zero rules takes several dependent instructions, and
     * one running vector would wait on them for every load.
     */
    public static float max(float[] x, int off, int len) {
        int lanes = F.length();
        int i = off;
        int end = off + len;
        float max = x[off];
        if (len >= 4 * lanes) {
            FloatVector m0 = FloatVector.fromArray(F, x, i);
            FloatVector m1 = FloatVector.fromArray(F, x, i + lanes);
            FloatVector m2 = FloatVector.fromArray(F, x, i + 2 * lanes);
            FloatVector m3 = FloatVector.fromArray(F, x, i + 3 * lanes);
            // The fresh vector is the receiver, never the loop-carried one: see VectorOps.scaleAndMax.
            for (i += 4 * lanes; i <= end - 4 * lanes; i += 4 * lanes) {
                m0 = FloatVector.fromArray(F, x, i).max(m0);
                m1 = FloatVector.fromArray(F, x, i + lanes).max(m1);
                m2 = FloatVector.fromArray(F, x, i + 2 * lanes).max(m2);
                m3 = FloatVector.fromArray(F, x, i + 3 * lanes).max(m3);
            }
            max = m0.max(m1).max(m2.max(m3)).reduceLanes(VectorOperators.MAX);
        }
        for (; i < end; i++) {
            max = Math.max(max, x[i]);
        }
        return max;
    }

    /** The id (relative to off) of the largest of x[off, off + len), the lowest among equals; len > 0. */
    public static int argmax(float[] x, int off, int len) {
        float max = max(x, off, len);
        if (Float.isNaN(max)) {
            return argmaxSkippingNaN(x, off, len);
        }
        int i = 0;
        for (; i <= len - F.length(); i += F.length()) {
            if (FloatVector.fromArray(F, x, off + i).compare(VectorOperators.EQ, max).anyTrue()) {
                break;
            }
        }
        for (; ; i++) {
            if (x[off + i] == max) {
                return i;
            }
        }
    }

    /** The scalar definition: a value wins only when strictly greater, so NaN never wins past id 0. */
    private static int argmaxSkippingNaN(float[] x, int off, int len) {
        int best = 0;
        for (int i = 1; i < len; i++) {
            if (x[off + i] > x[off + best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The ids (relative to off) of the {@code width} largest of x[off, off + len), largest first, the lower id
     * first among equals, into {@code ids}; returns how many (width, or len if smaller). Once {@code width} are
     * held, a vector of logits none of which beats the smallest held is passed over whole.
     */
    public static int top(float[] x, int off, int len, int width, int[] ids) {
        if (width <= 0) {
            return 0;
        }
        int filled = 0;
        int i = 0;
        while (i < len) {
            if (filled == width && i <= len - F.length()
                    && !FloatVector.fromArray(F, x, off + i).compare(VectorOperators.GT, x[off + ids[width - 1]])
                    .anyTrue()) {
                i += F.length();
                continue;
            }
            int stop = filled == width ? Math.min(len, i + F.length()) : i + 1;
            for (; i < stop; i++) {
                float value = x[off + i];
                if (filled == width && !(value > x[off + ids[width - 1]])) {
                    continue;
                }
                int at = filled == width ? width - 1 : filled++;
                while (at > 0 && value > x[off + ids[at - 1]]) { // strictly: a lower id keeps its place
                    ids[at] = ids[at - 1];
                    at--;
                }
                ids[at] = i;
            }
        }
        return filled;
    }
}
