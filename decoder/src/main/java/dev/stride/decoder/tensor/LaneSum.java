package dev.stride.decoder.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order: halving, lane i + lane i + W/2, then the same on the lower
 * half, down to one lane. Not {@code reduceLanes(ADD)}: its interpreted form adds left to right while the JIT's
 * intrinsic adds pairwise, so a kernel would give other bits before it is compiled than after, and a token could
 * change with JIT timing. {@link #ofStored} adds in scalar code; on 16-lane CPUs the streamed kernels make the same
 * additions for four accumulators at once in registers ({@link #FOUR_AT_ONCE}). Every step rounds the same way in
 * every JIT tier.
 */
public final class LaneSum {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Whether kernels can sum four 16-lane accumulators at once in registers. The steps must be written into each
     * kernel (see {@link #HIGH_HALF}): the JIT will not inline a helper taking vectors at a kernel's cold exit, and
     * would box the vectors to call it.
     * <pre>
     *   p = a.blend(b, HIGH_HALF).add(b.blend(a, HIGH_HALF).rearrange(SWAP_8));     // a, b halved once
     *   q = c.blend(d, HIGH_HALF).add(d.blend(c, HIGH_HALF).rearrange(SWAP_8));     // c, d halved once
     *   r = p.blend(q, ODD_QUARTERS).add(q.blend(p, ODD_QUARTERS).rearrange(SWAP_4)); // all four halved twice
     *   r = r.add(r.rearrange(SWAP_2));
     *   r = r.add(r.rearrange(SWAP_1));
     *   // sums: a in lane 0, c in lane 4, b in lane 8, d in lane 12
     * </pre>
     * Each lane holds exactly the additions {@link #ofStored} makes, in the same order (an add's two operands may
     * come swapped, which IEEE addition does not notice).
     */
    public static final boolean FOUR_AT_ONCE = F.length() == 16;
    public static final VectorMask<Float> HIGH_HALF = lanesWhere(8);
    public static final VectorMask<Float> ODD_QUARTERS = lanesWhere(4);
    public static final VectorShuffle<Float> SWAP_8 = swap(8);
    public static final VectorShuffle<Float> SWAP_4 = swap(4);
    public static final VectorShuffle<Float> SWAP_2 = swap(2);
    public static final VectorShuffle<Float> SWAP_1 = swap(1);

    private LaneSum() {
    }

    /** Lanes whose index has the given bit set. */
    private static VectorMask<Float> lanesWhere(int bit) {
        boolean[] set = new boolean[F.length()];
        for (int i = 0; i < set.length; i++) {
            set[i] = (i & bit) != 0;
        }
        return VectorMask.fromArray(F, set, 0);
    }

    private static VectorShuffle<Float> swap(int distance) {
        return VectorShuffle.fromOp(F, lane -> (lane ^ distance) < F.length() ? lane ^ distance : lane);
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
