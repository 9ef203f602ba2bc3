package dev.stride.decoder.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order: a butterfly of exact lane-wise adds (lane i + lane i ^ h
 * for h = W/2, W/4, ..., 1). Not {@code reduceLanes(ADD)}: its interpreted form adds left to right while the JIT's
 * intrinsic adds pairwise, so a kernel would give other bits before it is compiled than after, and a token could
 * change with JIT timing. Every operation here rounds the same way in both forms.
 */
public final class LaneSum {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorShuffle<Float>[] BUTTERFLY = butterfly();

    private LaneSum() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] butterfly() {
        int steps = Integer.numberOfTrailingZeros(F.length());
        VectorShuffle<Float>[] shuffles = new VectorShuffle[steps];
        for (int s = 0; s < steps; s++) {
            int distance = F.length() >> (s + 1);
            shuffles[s] = VectorShuffle.fromOp(F, lane -> lane ^ distance);
        }
        return shuffles;
    }

    /** Sum of the lanes of v. */
    public static float of(FloatVector v) {
        for (VectorShuffle<Float> shuffle : BUTTERFLY) {
            v = v.add(v.rearrange(shuffle));
        }
        return v.lane(0);
    }
}
