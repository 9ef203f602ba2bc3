package dev.stride.decoder.compute;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp(x) for x <= 0, lane-wise, from additions, multiplications and bit operations only (Cephes expf: range
 * reduction by ln 2, degree-6 polynomial, exponent bits). Not VectorOperators.EXP: that runs Intel SVML once C2
 * compiles the loop but a per-lane Math.exp before, so results would depend on JIT timing; these operations
 * round identically either way, which keeps training bitwise reproducible and every lane's result independent of
 * where it sits. Within 2 ulp of exp.
 * <p>
 * Every method takes and leaves its lanes in arrays, one vector of {@link #SPECIES} at a time, and none takes or
 * returns a vector. A method with vector arguments runs fast only when the JIT inlines it into its caller, and the
 * JIT's inlining log showed hot call sites of the old vector-valued exponential refused (C2's
 * "NodeCountInliningCutoff"); compiled on its own, such a method boxes the vectors it passes. Through arrays, a
 * call that is not inlined costs a call.
 * <p>
 * Bit reinterpretations name their target species ({@code reinterpretShape(SPECIES, 0)}), never
 * {@code reinterpretAsFloats()}: that one looks its species up at run time, and in Spark executors C2 sometimes
 * could not fold the lookup and left the conversion a call, with its vectors boxed (PrintIntrinsics: "missing
 * constant: vclass_to=LoadP").
 */
public final class VectorExp {

    /** The lanes each call reads and writes. */
    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Below this exp(x) is not a normal float; those lanes return 0. */
    private static final float MIN_INPUT = -87.3f;
    private static final float ROUNDING_BIAS = 12582912f; // 1.5 * 2^23: its float's ulp is 1
    private static final int ROUNDING_BIAS_BITS = Float.floatToRawIntBits(ROUNDING_BIAS);

    private VectorExp() {
    }

    /**
     * out[outOff + i] = exp(x[xOff + i] - max) for the lanes of one vector; each x - max must be <= 0 (softmax
     * inputs). {@code out} may be {@code x}.
     * <p>
     * The range reduction's integer n = (int) (x * log2(e) - 1/2) is found without a float-to-int conversion: the
     * JDK 17 compiles that conversion to vector instructions only on AVX-512 and runs it lane by lane elsewhere
     * (twenty times slower on AVX2). Adding and subtracting 1.5 * 2^23 rounds to the nearest integer, one up where
     * that fell below (truncation toward zero of a negative number); then n + 1.5 * 2^23 holds n in its low
     * mantissa bits, which move to the exponent field to make 2^n.
     */
    public static void expBelow(float[] x, int xOff, float max, float[] out, int outOff) {
        FloatVector shifted = FloatVector.fromArray(SPECIES, x, xOff).sub(max);
        VectorMask<Float> tiny = shifted.compare(VectorOperators.LT, MIN_INPUT);
        FloatVector clamped = shifted.max(MIN_INPUT);
        FloatVector t = clamped.mul(LOG2E).sub(0.5f);
        FloatVector nearest = t.add(ROUNDING_BIAS).sub(ROUNDING_BIAS);
        FloatVector n = nearest.add(t.broadcast(1f), nearest.compare(VectorOperators.LT, t));
        FloatVector r = clamped.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO));
        FloatVector p = t.broadcast(1.9875691500e-4f);
        p = p.mul(r).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        FloatVector expR = p.mul(r).mul(r).add(r).add(1f);
        IntVector biased = ((IntVector) n.add(ROUNDING_BIAS).reinterpretShape(INTS, 0)).sub(ROUNDING_BIAS_BITS - 127);
        FloatVector twoToN = (FloatVector) biased.lanewise(VectorOperators.LSHL, 23).reinterpretShape(SPECIES, 0);
        expR.mul(twoToN).blend(0f, tiny).intoArray(out, outOff);
    }

    /**
     * x[i] = exp(x[i] - max) over whole vectors of {@link #SPECIES} from {@code from} below {@code to} ({@code to - from}
     * a multiple of the vector length). The loop lives here so that the exponential compiles inline into it: called
     * a vector at a time from elsewhere it was refused inlining ("callee is too large") and each vector paid a call.
     */
    public static void expBelowInPlace(float[] x, int from, int to, float max) {
        for (int i = from; i < to; i += SPECIES.length()) {
            expBelow(x, i, max, x, i);
        }
    }

    /**
     * out[outOff + i] = SiLU(z[zOff + i]) = z * sigmoid(z) for the lanes of one vector, from exp(-|z|) so the
     * exponential never overflows. {@code out} may be {@code z}.
     */
    public static void silu(float[] z, int zOff, float[] out, int outOff) {
        FloatVector zv = FloatVector.fromArray(SPECIES, z, zOff);
        zv.abs().neg().intoArray(out, outOff);
        expBelow(out, outOff, 0f, out, outOff); // x - 0 is x, to the bit
        FloatVector t = FloatVector.fromArray(SPECIES, out, outOff);
        FloatVector numerator = t.broadcast(1f).blend(t, zv.compare(VectorOperators.LT, 0f));
        zv.mul(numerator.div(t.add(1f))).intoArray(out, outOff);
    }

    /**
     * The sum of exp(x[i] - max) over x[off, off + len) (max at least every x[i]): exponentials lane-wise into
     * {@code scratch} (at least len rounded up to whole vectors of {@link #SPECIES}), added in double precision in
     * eight chains (chain j takes the i = j mod 8 below len rounded down to a multiple of 8, in index order; chain 0
     * then the rest), then the chains pairwise. The same bits on every
     * vector width and JIT tier: each lane's exponential does not depend on where it sits, and the additions have
     * one order. Eight chains because one waits out every addition's latency: 2.7 µs for 2,048 logits.
     */
    public static double sumExpBelow(float max, float[] x, int off, int len, float[] scratch) {
        System.arraycopy(x, off, scratch, 0, len);
        int padded = (len + SPECIES.length() - 1) / SPECIES.length() * SPECIES.length();
        Arrays.fill(scratch, len, padded, Float.NEGATIVE_INFINITY); // exp of the padding is 0
        expBelowInPlace(scratch, 0, padded, max);
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        int whole = len & ~7;
        for (int i = 0; i < whole; i += 8) {
            s0 += scratch[i];
            s1 += scratch[i + 1];
            s2 += scratch[i + 2];
            s3 += scratch[i + 3];
            s4 += scratch[i + 4];
            s5 += scratch[i + 5];
            s6 += scratch[i + 6];
            s7 += scratch[i + 7];
        }
        for (int i = whole; i < len; i++) {
            s0 += scratch[i];
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }
}
