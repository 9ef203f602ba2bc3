package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The softmax's exponential and SiLU against Math.exp over every input they can get. */
class VectorExpTest {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Test
    void matchesMathExpWithinTwoUlpAndFlushesBelowTheNormalRange() {
        float[] x = new float[F.length()];
        float[] y = new float[F.length()];
        for (float start = -90f; start <= 0f; start += 0.0173f * F.length()) {
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.min(0f, start + 0.0173f * i);
            }
            VectorExp.expNonPositive(F, FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
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

    @Test
    void siluMatchesTheDefinitionAcrossTheFloatRange() {
        float[] z = new float[F.length()];
        float[] y = new float[F.length()];
        for (float start = -120f; start <= 120f; start += 0.0371f * F.length()) {
            for (int i = 0; i < z.length; i++) {
                z[i] = start + 0.0371f * i;
            }
            VectorExp.silu(F, FloatVector.fromArray(F, z, 0)).intoArray(y, 0);
            for (int i = 0; i < z.length; i++) {
                double expected = z[i] / (1 + Math.exp(-z[i]));
                assertEquals(expected, y[i], 4 * Math.ulp((float) expected) + 1e-30, "silu(" + z[i] + ")");
            }
        }
    }
}
