package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The softmax's exponential and SiLU against Math.exp over every input they can get. */
class VectorExpTest {

    private static final VectorSpecies<Float> F = VectorExp.SPECIES;

    @Test
    void matchesMathExpWithinTwoUlpAndFlushesBelowTheNormalRange() {
        float[] x = new float[F.length()];
        float[] y = new float[F.length()];
        for (float start = -90f; start <= 0f; start += 0.0173f * F.length()) {
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.min(0f, start + 0.0173f * i);
            }
            VectorExp.expBelow(x, 0, 0f, y, 0);
            for (int i = 0; i < x.length; i++) {
                float expected = (float) Math.exp(x[i]);
                if (x[i] < -87.3f) {
                    assertEquals(0f, y[i], "exp(" + x[i] + ")");
                } else {
                    assertTrue(Math.abs(y[i] - expected) <= 2 * Math.ulp(expected), "exp(" + x[i] + ") = " + y[i]
                            + ", expected " + expected);
                }
            }
        }
    }

    /**
     * The vector exponential rounds its range reduction without a float-to-int conversion; it must give the bits of
     * the scalar definition that converts (so logits did not change when it stopped converting). Checked on a
     * spread of every non-positive float down to the flush point, and on every float near each point where the
     * reduction's integer changes.
     */
    @Test
    void sameBitsAsTheScalarDefinitionThatConvertsToInt() {
        float[] x = new float[F.length()];
        int filled = 0;
        int last = Float.floatToRawIntBits(-90f);
        for (int bits = Float.floatToRawIntBits(-0f); bits <= last; bits += 997) {
            x[filled++] = Float.intBitsToFloat(bits);
            if (filled == x.length) {
                assertSameBits(x);
                filled = 0;
            }
        }
        for (int n = 0; n <= 127; n++) {
            float edge = -(n + 0.5f) / 1.44269504088896341f;
            float v = edge;
            for (int i = 0; i < 64; i++) {
                v = Math.nextUp(v);
            }
            for (int i = 0; i < 128; i++, v = Math.nextDown(v)) {
                x[filled++] = Math.min(v, 0f);
                if (filled == x.length) {
                    assertSameBits(x);
                    filled = 0;
                }
            }
        }
    }

    private static void assertSameBits(float[] x) {
        float[] y = new float[x.length];
        VectorExp.expBelow(x, 0, 0f, y, 0);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(scalarExp(x[i])), Float.floatToRawIntBits(y[i]), "exp(" + x[i] + ")");
        }
    }

    /** Cephes expf as first written here: the range reduction's integer by a float-to-int cast. */
    private static float scalarExp(float x) {
        if (x < -87.3f) {
            return 0f;
        }
        int n = (int) (x * 1.44269504088896341f - 0.5f);
        float nf = n;
        float r = x - nf * 0.693359375f - nf * -2.12194440e-4f;
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        float expR = p * r * r + r + 1f;
        return expR * Float.intBitsToFloat((n + 127) << 23);
    }

    @Test
    void siluMatchesTheDefinitionAcrossTheFloatRange() {
        float[] z = new float[F.length()];
        float[] y = new float[F.length()];
        for (float start = -120f; start <= 120f; start += 0.0371f * F.length()) {
            for (int i = 0; i < z.length; i++) {
                z[i] = start + 0.0371f * i;
            }
            VectorExp.silu(z, 0, y, 0);
            for (int i = 0; i < z.length; i++) {
                double expected = z[i] / (1 + Math.exp(-z[i]));
                assertEquals(expected, y[i], 4 * Math.ulp((float) expected) + 1e-30, "silu(" + z[i] + ")");
            }
        }
    }
}
