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

    @Test
    void partsInRegistersSumInTheButterflyOrder() {
        Random random = new Random(11);
        float[] lanes = new float[LaneSum.LANES];
        FloatVector[] parts = new FloatVector[4];
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < lanes.length; i++) {
                lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            for (int p = 0; p < parts.length; p++) {
                // Parts past PARTS are ignored: filled with noise, not zeros, so that reading one would show.
                parts[p] = p < LaneSum.PARTS ? FloatVector.fromArray(LaneSum.SPECIES, lanes, p * LaneSum.WIDTH)
                        : FloatVector.broadcast(LaneSum.SPECIES, 1e3f + p);
            }
            assertEquals(Float.floatToRawIntBits(butterfly(lanes)),
                    Float.floatToRawIntBits(LaneSum.ofParts(parts[0], parts[1], parts[2], parts[3])), "trial " + trial);
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
