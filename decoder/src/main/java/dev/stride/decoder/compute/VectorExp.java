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
 */
public final class VectorExp {

    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** Below this exp(x) is not a normal float; those lanes return 0. */
    private static final float MIN_INPUT = -87.3f;
    private static final VectorSpecies<Float> SUM_SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final float ROUNDING_BIAS = 12582912f; // 1.5 * 2^23: its float's ulp is 1
    private static final int ROUNDING_BIAS_BITS = Float.floatToRawIntBits(ROUNDING_BIAS);

    private VectorExp() {
    }

    /** exp of each lane; lanes must be <= 0 (softmax inputs after subtracting the max). */
    public static FloatVector expNonPositive(FloatVector x) {
        VectorMask<Float> tiny = x.compare(VectorOperators.LT, MIN_INPUT);
        FloatVector clamped = x.max(MIN_INPUT);
        // n = round(x / ln 2): truncation toward zero of a negative number minus one half.
        FloatVector nf = truncateNegative(clamped.mul(LOG2E).sub(0.5f));
        FloatVector r = clamped.sub(nf.mul(LN2_HI)).sub(nf.mul(LN2_LO));
        FloatVector p = x.broadcast(1.9875691500e-4f);
        p = p.mul(r).add(1.3981999507e-3f);
        p = p.mul(r).add(8.3334519073e-3f);
        p = p.mul(r).add(4.1665795894e-2f);
        p = p.mul(r).add(1.6666665459e-1f);
        p = p.mul(r).add(5.0000001201e-1f);
        FloatVector expR = p.mul(r).mul(r).add(r).add(1f);
        return expR.mul(twoTo(nf)).blend(0f, tiny);
    }

    /**
     * (float) (int) t for -2^22 < t < 0, without a float-to-int conversion: the JDK 17 compiles that conversion
     * to vector instructions only on AVX-512 and runs it lane by lane elsewhere (twenty times slower on AVX2).
     * Adding and subtracting 1.5 * 2^23 rounds to the nearest integer; one up where that fell below t.
     */
    private static FloatVector truncateNegative(FloatVector t) {
        FloatVector nearest = t.add(ROUNDING_BIAS).sub(ROUNDING_BIAS);
        return nearest.add(t.broadcast(1f), nearest.compare(VectorOperators.LT, t));
    }

    /** 2^n for whole numbers n in [-126, 0]: n + 1.5 * 2^23 holds n in its low mantissa bits, moved to the exponent. */
    private static FloatVector twoTo(FloatVector n) {
        IntVector biased = n.add(ROUNDING_BIAS).reinterpretAsInts().sub(ROUNDING_BIAS_BITS - 127);
        return biased.lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /**
     * The sum of exp(x[i] - max) over x[off, off + len) (max at least every x[i]): exponentials lane-wise into
     * {@code scratch} (at least len rounded up to whole vectors of the preferred species), added one by one in
     * index order in double precision. The same bits on every vector width and JIT tier: each lane's exponential
     * does not depend on where it sits, and the additions have one order. The species is this class's constant:
     * given as a parameter, a loop compiled on its own would run the vector operations unintrinsified.
     */
    public static double sumExpBelow(float max, float[] x, int off, int len, float[] scratch) {
        System.arraycopy(x, off, scratch, 0, len);
        int padded = (len + SUM_SPECIES.length() - 1) / SUM_SPECIES.length() * SUM_SPECIES.length();
        Arrays.fill(scratch, len, padded, Float.NEGATIVE_INFINITY); // exp of the padding is 0
        for (int i = 0; i < padded; i += SUM_SPECIES.length()) {
            expNonPositive(FloatVector.fromArray(SUM_SPECIES, scratch, i).sub(max)).intoArray(scratch, i);
        }
        double sum = 0;
        for (int i = 0; i < len; i++) {
            sum += scratch[i];
        }
        return sum;
    }

    /** SiLU, z * sigmoid(z), of each lane, from exp(-|z|) so the exponential never overflows. */
    public static FloatVector silu(FloatVector z) {
        FloatVector t = expNonPositive(z.abs().neg());
        FloatVector numerator = z.broadcast(1f).blend(t, z.compare(VectorOperators.LT, 0f));
        return z.mul(numerator.div(t.add(1f)));
    }
}
