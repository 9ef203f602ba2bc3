package dev.stride.decoder.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The one lane layout and lane sum of every dot product, fixed whatever vectors the CPU has. A dot product over
 * [0, len) keeps {@link #LANES} = 16 partial sums: partial l accumulates, by fused multiply-adds in column order,
 * the columns i = l (mod 16) below {@link #bound}(len); the partials are then summed by halving (lane l + lane
 * l + 8, then the same on the lower half, down to one), and the remaining columns are added one fused multiply-add
 * at a time. An AVX-512 CPU holds the 16 partials in one vector; AVX2 in {@link #PARTS} = 2 vectors of 8, SSE and
 * NEON in 4 of 4: kernels walk the columns once per part ({@link #SPECIES} lanes from column {@code part *
 * WIDTH}, stepping 16), so every partial sees the same operations in the same order on every CPU, and a
 * retried task gives the same bits on another machine.
 *
 * <p>Not {@code reduceLanes(ADD)}: its interpreted form adds left to right while the JIT's intrinsic adds pairwise,
 * so a kernel would give other bits before it is compiled than after. {@link #ofStored} adds in scalar code,
 * {@link #ofFourStored} makes the same additions for four sets of partials at once. Every step rounds the same
 * way in every JIT tier.
 */
public final class LaneSum {

    /** Partial sums of every dot product: the logical vector width, the same on every CPU. */
    public static final int LANES = 16;
    /** The physical vectors that hold the partials: this CPU's, between 4 and 16 lanes. */
    public static final VectorSpecies<Float> SPECIES = physical(FloatVector.SPECIES_PREFERRED);
    /** Lanes of one physical vector. */
    public static final int WIDTH = SPECIES.length();
    /** Physical vectors per set of partials: 1 (AVX-512), 2 (AVX2) or 4 (SSE, NEON). */
    public static final int PARTS = LANES / WIDTH;
    /**
     * Parts a kernel accumulates in one sweep over the columns: two wherever there are several, so an AVX2 kernel
     * reads its rows once (four rows times two parts is eight accumulators, which fit the registers).
     */
    public static final int PARTS_PER_SWEEP = Math.min(2, PARTS);

    // The four-at-once steps (16-lane CPUs): a lane of the result holds exactly the additions ofStored makes, in
    // the same order (an add's two operands may come swapped, which IEEE addition does not notice).
    private static final boolean FOUR_AT_ONCE = WIDTH == LANES;
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromArray(SPECIES, lanesWhere(8), 0);
    private static final VectorMask<Float> ODD_QUARTERS = VectorMask.fromArray(SPECIES, lanesWhere(4), 0);
    private static final VectorShuffle<Float> SWAP_8 = swap(8);
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_1 = swap(1);

    private LaneSum() {
    }

    /** The CPU's preferred vectors, clamped to 4-16 lanes so that whole vectors tile the 16 partials. */
    static VectorSpecies<Float> physical(VectorSpecies<Float> preferred) {
        if (preferred.length() > LANES) {
            return FloatVector.SPECIES_512;
        }
        return preferred.length() < 4 ? FloatVector.SPECIES_128 : preferred;
    }

    /** Columns [0, bound(len)) go through the partials; the rest is the scalar tail. */
    public static int bound(int len) {
        return len - len % LANES;
    }

    /** Lanes whose index has the given bit set. */
    private static boolean[] lanesWhere(int bit) {
        boolean[] set = new boolean[WIDTH];
        for (int i = 0; i < set.length; i++) {
            set[i] = (i & bit) != 0;
        }
        return set;
    }

    private static VectorShuffle<Float> swap(int distance) {
        return VectorShuffle.fromOp(SPECIES, lane -> (lane ^ distance) < WIDTH ? lane ^ distance : lane);
    }

    /**
     * Sum of the lanes of one vector of any species, by the same halving. For head training, whose vectors are
     * the CPU's own: trained heads decide speed, never a token, and training is reproducible on one kind of CPU.
     */
    public static float of(FloatVector v) {
        return ofStored(v.toArray(), 0, v.length());
    }

    /**
     * Sum of the {@link #LANES} partials at scratch[offset, offset + LANES), where a kernel stored them
     * (overwritten). Kernels store and call this rather than pass vectors: a vector handed to a call the JIT does
     * not inline is boxed on the heap.
     */
    public static float ofStored(float[] scratch, int offset) {
        return ofStored(scratch, offset, LANES);
    }

    private static float ofStored(float[] scratch, int offset, int lanes) {
        for (int half = lanes / 2; half >= 1; half /= 2) {
            for (int i = offset; i < offset + half; i++) {
                scratch[i] += scratch[i + half];
            }
        }
        return scratch[offset];
    }

    /**
     * The dot product of a[aOff, aOff + len) and b[bOff, bOff + len) in this layout: the reference every blocked
     * kernel reproduces. The partials stay in registers and are halved there (the additions {@link #ofStored}
     * makes), so it needs no scratch: it runs for every norm of every row.
     *
     * <p>One method from the loads to the sum, taking and returning no vector: a helper that took the partials as
     * vectors (110 bytes, past what the JIT inlines at any call site) was inlined only most of the time; once, in
     * CI, it stayed out of line for the life of the process and every norm boxed four vectors (384 bytes). Most
     * likely C2 had compiled it on its own first and then declined it as "already compiled into a big method".
     */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        int bound = bound(len);
        FloatVector p0 = FloatVector.zero(SPECIES), p1 = FloatVector.zero(SPECIES);
        FloatVector p2 = FloatVector.zero(SPECIES), p3 = FloatVector.zero(SPECIES);
        for (int i = 0; i < bound; i += LANES) {
            p0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), p0);
            if (PARTS > 1) {
                p1 = FloatVector.fromArray(SPECIES, a, aOff + i + WIDTH)
                        .fma(FloatVector.fromArray(SPECIES, b, bOff + i + WIDTH), p1);
            }
            if (PARTS > 2) {
                p2 = FloatVector.fromArray(SPECIES, a, aOff + i + 2 * WIDTH)
                        .fma(FloatVector.fromArray(SPECIES, b, bOff + i + 2 * WIDTH), p2);
                p3 = FloatVector.fromArray(SPECIES, a, aOff + i + 3 * WIDTH)
                        .fma(FloatVector.fromArray(SPECIES, b, bOff + i + 3 * WIDTH), p3);
            }
        }
        FloatVector r; // lane l + lane l + 8 for l < 8, the first halving
        if (PARTS == 1) {
            r = p0.add(p0.rearrange(SWAP_8));
        } else if (PARTS == 2) {
            r = p0.add(p1);
        } else {
            r = p0.add(p2).add(p1.add(p3)); // lanes 0-3 + 8-11, 4-7 + 12-15, then the second halving
        }
        if (PARTS <= 2) {
            r = r.add(r.rearrange(SWAP_4));
        }
        r = r.add(r.rearrange(SWAP_2));
        return withTail(r.add(r.rearrange(SWAP_1)).lane(0), a, aOff, b, bOff, bound, len);
    }

    /**
     * A dot product's lane sum plus its scalar tail, columns [from, len) one fused multiply-add at a time: the
     * common ending of every dot product.
     */
    public static float withTail(float laneSum, float[] a, int aOff, float[] b, int bOff, int from, int len) {
        float sum = laneSum;
        for (int i = from; i < len; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }

    /**
     * The sums of four sets of partials stored one after another at scratch[offset, offset + 4 * LANES), written
     * to scratch[offset, offset + 4) in the same order; each equals {@link #ofStored} of its set. On 16-lane CPUs
     * the four are halved together in registers (a blend-permute-add butterfly), a third of the work of four
     * scalar halvings.
     */
    public static void ofFourStored(float[] scratch, int offset) {
        if (!FOUR_AT_ONCE) {
            for (int k = 0; k < 4; k++) {
                scratch[offset + k] = ofStored(scratch, offset + k * LANES); // reads lanes past the writes
            }
            return;
        }
        FloatVector a = FloatVector.fromArray(SPECIES, scratch, offset);
        FloatVector b = FloatVector.fromArray(SPECIES, scratch, offset + LANES);
        FloatVector c = FloatVector.fromArray(SPECIES, scratch, offset + 2 * LANES);
        FloatVector d = FloatVector.fromArray(SPECIES, scratch, offset + 3 * LANES);
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
