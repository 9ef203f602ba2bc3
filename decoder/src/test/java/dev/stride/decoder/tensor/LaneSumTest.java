package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/** The lane sum is the butterfly its contract names, bit for bit, on values where the order shows. */
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
        float[] lanes = new float[F.length()];
        int orderMattered = 0;
        for (int trial = 0; trial < 2000; trial++) {
            for (int i = 0; i < lanes.length; i++) {
                // Mixed magnitudes: rounding depends on the order of the additions.
                lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            float expected = butterfly(lanes);
            float sum = LaneSum.of(FloatVector.fromArray(F, lanes, 0));
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
    void theFourAtOnceStepsGiveEachVectorsStoredSum() {
        assumeTrue(LaneSum.FOUR_AT_ONCE, "16-lane vectors only: other CPUs use the stored sums");
        Random random = new Random(10);
        for (int trial = 0; trial < 500; trial++) {
            FloatVector[] v = new FloatVector[4];
            float[][] lanes = new float[4][F.length()];
            for (int k = 0; k < 4; k++) {
                for (int i = 0; i < F.length(); i++) {
                    lanes[k][i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
                }
                v[k] = FloatVector.fromArray(F, lanes[k], 0);
            }
            // The steps as LaneSum documents them (and the kernels spell them out).
            FloatVector p = v[0].blend(v[1], LaneSum.HIGH_HALF)
                    .add(v[1].blend(v[0], LaneSum.HIGH_HALF).rearrange(LaneSum.SWAP_8));
            FloatVector q = v[2].blend(v[3], LaneSum.HIGH_HALF)
                    .add(v[3].blend(v[2], LaneSum.HIGH_HALF).rearrange(LaneSum.SWAP_8));
            FloatVector r = p.blend(q, LaneSum.ODD_QUARTERS)
                    .add(q.blend(p, LaneSum.ODD_QUARTERS).rearrange(LaneSum.SWAP_4));
            r = r.add(r.rearrange(LaneSum.SWAP_2));
            r = r.add(r.rearrange(LaneSum.SWAP_1));
            int[] laneOf = {0, 8, 4, 12};
            for (int k = 0; k < 4; k++) {
                float stored = LaneSum.ofStored(lanes[k].clone(), 0, F.length());
                assertEquals(Float.floatToRawIntBits(stored), Float.floatToRawIntBits(r.lane(laneOf[k])),
                        "vector " + k + ", trial " + trial);
            }
        }
    }
}
