package dev.stride.decoder.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The sum of a float vector's lanes in one fixed order: halving, lane i + lane i + W/2, then the same on the lower
 * half, down to one lane. Not {@code reduceLanes(ADD)}: its interpreted form adds left to right while the JIT's
 * intrinsic adds pairwise, so a kernel would give other bits before it is compiled than after, and a token could
 * change with JIT timing. {@link #ofStored} adds in scalar code, {@link #ofFourStored} makes the same additions for
 * four vectors at once. Every step rounds the same way in every JIT tier.
 */
public final class LaneSum {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    // The four-at-once steps: a lane of the result holds exactly the additions ofStored makes, in the same order
    // (an add's two operands may come swapped, which IEEE addition does not notice).
    private static final boolean FOUR_AT_ONCE = F.length() == 16;
    private static final VectorMask<Float> HIGH_HALF = lanesWhere(8);
    private static final VectorMask<Float> ODD_QUARTERS = lanesWhere(4);
    private static final VectorShuffle<Float> SWAP_8 = swap(8);
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_1 = swap(1);

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

    /**
     * The lane sums of four vectors a kernel stored one after another at scratch[offset, offset + 4 * lanes),
     * written to scratch[offset, offset + 4) in the same order; each equals {@link #ofStored} of its vector. On
     * 16-lane CPUs the four are halved together in registers (a blend-permute-add butterfly), a third of the work of
     * four scalar halvings. Kernels store and call this rather than pass vectors: a vector handed to a call the JIT
     * does not inline is boxed on the heap.
     */
    public static void ofFourStored(float[] scratch, int offset) {
        int lanes = F.length();
        if (!FOUR_AT_ONCE) {
            for (int k = 0; k < 4; k++) {
                scratch[offset + k] = ofStored(scratch, offset + k * lanes, lanes); // reads lanes past the writes
            }
            return;
        }
        FloatVector a = FloatVector.fromArray(F, scratch, offset);
        FloatVector b = FloatVector.fromArray(F, scratch, offset + lanes);
        FloatVector c = FloatVector.fromArray(F, scratch, offset + 2 * lanes);
        FloatVector d = FloatVector.fromArray(F, scratch, offset + 3 * lanes);
        FloatVector ab = a.blend(b, HIGH_HALF).add(b.blend(a, HIGH_HALF).rearrange(SWAP_8)); // a | b, halved once
        FloatVector cd = c.blend(d, HIGH_HALF).add(d.blend(c, HIGH_HALF).rearrange(SWAP_8)); // c | d, halved once
        FloatVector r = ab.blend(cd, ODD_QUARTERS).add(cd.blend(ab, ODD_QUARTERS).rearrange(SWAP_4)); // a|c|b|d
        r = r.add(r.rearrange(SWAP_2));
        r = r.add(r.rearrange(SWAP_1));
        scratch[offset] = r.lane(0);
        scratch[offset + 1] = r.lane(8);
        scratch[offset + 2] = r.lane(4);
        scratch[offset + 3] = r.lane(12);
    }
}
