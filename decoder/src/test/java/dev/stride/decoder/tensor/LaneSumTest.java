package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The lane sums are the butterfly their contract names, bit for bit, on values where the order shows. */
class LaneSumTest {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** A full butterfly (every lane ends with the total), written independently: lane 0 is the contract. */
    private static float butterfly(float[] lanes) {
        float[] v = lanes.clone();
        for (int distance = v.length / 2; distance >= 1; distance /= 2) {
            float[] next = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                next[i] = v[i] + v[i ^ distance];
            }
            v = next;
        }
        return v[0];
    }

    @Test
    void sumsInTheButterflyOrder() {
        Random random = new Random(8);
        float[] lanes = new float[LaneSum.LANES];
        int orderMattered = 0;
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < lanes.length; i++) {
                // Mixed magnitudes: rounding depends on the order of the additions.
                lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            float expected = butterfly(lanes);
            float sum = LaneSum.ofStored(lanes.clone(), 0);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(sum), "trial " + trial);
            float leftToRight = 0f;
            for (float lane : lanes) {
                leftToRight += lane;
            }
            if (leftToRight != expected) {
                orderMattered++;
            }
        }
        assertTrue(orderMattered > 100, "the inputs should tell the orders apart: " + orderMattered);
    }

    @Test
    void aVectorOfTheCpusWidthSumsInTheButterflyOrder() {
        Random random = new Random(9);
        float[] lanes = new float[F.length()];
        for (int trial = 0; trial < 500; trial++) {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            assertEquals(Float.floatToRawIntBits(butterfly(lanes)),
                    Float.floatToRawIntBits(LaneSum.of(FloatVector.fromArray(F, lanes, 0))), "trial " + trial);
        }
    }

    /**
     * The layout's dot product, written from the class contract in scalar code: partial l takes the columns
     * i = l (mod 16) below bound(len) by fused multiply-adds in order, the partials go through the butterfly, then
     * the remaining columns one fused multiply-add at a time.
     */
    private static float layoutDot(float[] a, int aOff, float[] b, int bOff, int len) {
        float[] partials = new float[LaneSum.LANES];
        int bound = LaneSum.bound(len);
        for (int i = 0; i < bound; i++) {
            partials[i % LaneSum.LANES] = Math.fma(a[aOff + i], b[bOff + i], partials[i % LaneSum.LANES]);
        }
        float sum = butterfly(partials);
        for (int i = bound; i < len; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }

    @Test
    void dotProductsFollowTheLayoutAtEveryLengthAndOffset() {
        Random random = new Random(11);
        for (int trial = 0; trial < 2000; trial++) {
            int len = random.nextInt(80);
            int aOff = random.nextInt(5);
            int bOff = random.nextInt(5);
            float[] a = new float[aOff + len + random.nextInt(3)];
            float[] b = new float[bOff + len + random.nextInt(3)];
            for (float[] v : new float[][] {a, b}) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
                }
            }
            assertEquals(Float.floatToRawIntBits(layoutDot(a, aOff, b, bOff, len)),
                    Float.floatToRawIntBits(LaneSum.dot(a, aOff, b, bOff, len)),
                    "trial " + trial + ", length " + len);
        }
    }

    @Test
    void theLayoutIsSixteenLanesInWholeVectors() {
        assertEquals(16, LaneSum.LANES);
        assertEquals(LaneSum.LANES, LaneSum.WIDTH * LaneSum.PARTS);
        assertTrue(LaneSum.WIDTH >= 4, "physical vectors of " + LaneSum.WIDTH + " lanes");
        assertEquals(48, LaneSum.bound(63));
        assertEquals(64, LaneSum.bound(64));
    }

    @Test
    void fourStoredVectorsSumEachInTheSameOrder() {
        Random random = new Random(10);
        int lanes = LaneSum.LANES;
        for (int trial = 0; trial < 500; trial++) {
            float[] scratch = new float[1 + 4 * lanes];
            for (int i = 1; i < scratch.length; i++) {
                scratch[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            float[] expected = new float[4];
            for (int k = 0; k < 4; k++) {
                expected[k] = butterfly(Arrays.copyOfRange(scratch, 1 + k * lanes, 1 + (k + 1) * lanes));
            }
            LaneSum.ofFourStored(scratch, 1);
            for (int k = 0; k < 4; k++) {
                assertEquals(Float.floatToRawIntBits(expected[k]), Float.floatToRawIntBits(scratch[1 + k]),
                        "vector " + k + ", trial " + trial);
            }
        }
    }
}
