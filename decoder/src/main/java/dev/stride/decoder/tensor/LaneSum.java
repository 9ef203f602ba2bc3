package dev.stride.decoder.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * The sum of a float vector's lanes in one fixed order: halving, lane i + lane i + W/2, then the same on the lower
 * half, down to one lane (the lane-0 value of a butterfly of exact adds). Not {@code reduceLanes(ADD)}: its
 * interpreted form adds left to right while the JIT's intrinsic adds pairwise, so a kernel would give other bits
 * before it is compiled than after, and a token could change with JIT timing. The lanes are summed in scalar
 * code, which rounds the same way in every tier; kernels call this once per output element, after their loops.
 */
public final class LaneSum {

    private LaneSum() {
    }

    /** Sum of the lanes of v. */
    public static float of(FloatVector v) {
        return ofStored(v.toArray(), 0, v.length());
    }

    /**
     * Sum of the {@code lanes} values at scratch[offset, offset + lanes), where a kernel stored its vector
     * (overwritten). Kernels store and call this rather than pass the vector: a vector handed to a call the JIT
     * does not inline is boxed on the heap.
     */
    public static float ofStored(float[] scratch, int offset, int lanes) {
        for (int half = lanes / 2; half >= 1; half /= 2) {
            for (int i = offset; i < offset + half; i++) {
                scratch[i] += scratch[i + half];
            }
        }
        return scratch[offset];
    }
}
