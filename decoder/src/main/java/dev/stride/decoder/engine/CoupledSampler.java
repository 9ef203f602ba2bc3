package dev.stride.decoder.engine;

import dev.stride.decoder.compute.Logits;
import java.util.Arrays;

/**
 * Chooses the token at sequence position p as a pure function of the logits at p, the sampling parameters and a
 * counter-based uniform u(seed, p). Plain and multi-token decoding therefore pick the same token at the same
 * position whatever else is in the batch: verification of a drafted token is "would I have chosen it here?".
 * Inverse-CDF sampling over candidates ordered by (logit desc, id asc), so ties resolve the same way every time.
 * Exponentials use {@link StrictMath} (the same bits on every CPU and JIT tier, unlike Math's intrinsics).
 * Holds scratch buffers: one instance per decoding thread.
 */
public final class CoupledSampler {

    /**
     * Tokens whose probability is below e^-30 of the most likely one are not candidates: part of the sampler's
     * definition (identical in every mode), and it keeps the sort to the plausible few instead of the vocabulary.
     */
    private static final double NEGLIGIBLE = 30.0;

    /** Bits of a sort key taken per radix pass, and the buckets of a pass. */
    private static final int DIGIT_BITS = 8;
    private static final int BUCKETS = 1 << DIGIT_BITS;

    private final int vocab;
    private long[] keys;           // candidates: the logit's descending rank key in the upper half, the id below
    private long[] sorted;         // the radix sort's other buffer
    private final int[] buckets = new int[BUCKETS];
    private final int[] order;     // candidate ids, most likely first
    private final double[] weight; // unnormalized probability per candidate, in order

    public CoupledSampler(int vocab) {
        this.vocab = vocab;
        this.keys = new long[vocab];
        this.sorted = new long[vocab];
        this.order = new int[vocab];
        this.weight = new double[vocab];
    }

    public int choose(float[] logits, int offset, SamplingParams params, int position) {
        if (params.greedy()) {
            return Logits.argmax(logits, offset, vocab);
        }
        int candidates = rankCandidates(logits, offset, params.topK(), params.temperature());
        if (candidates == 0) { // every logit NaN
            return Logits.argmax(logits, offset, vocab);
        }
        double maxLogit = logits[offset + order[0]];
        double total = 0;
        for (int i = 0; i < candidates; i++) {
            float logit = logits[offset + order[i]];
            weight[i] = logit == maxLogit ? 1.0 : StrictMath.exp((logit - maxLogit) / params.temperature());
            total += weight[i];
        }
        if (params.topP() < 1f) {
            double kept = 0;
            int i = 0;
            while (i < candidates && kept < params.topP() * total) {
                kept += weight[i++];
            }
            candidates = Math.max(1, i);
            total = kept;
        }
        double target = uniform(params.seed(), position) * total;
        double cumulative = 0;
        for (int i = 0; i < candidates - 1; i++) {
            cumulative += weight[i];
            if (target < cumulative) {
                return order[i];
            }
        }
        return order[candidates - 1];
    }

    /** Fills order[0, n) with the candidates sorted by logit desc, id asc, cut to the top k (0 = all); returns n. */
    private int rankCandidates(float[] logits, int offset, int topK, float temperature) {
        float max = Logits.max(logits, offset, vocab);
        if (Float.isNaN(max)) { // NaN is never a candidate: the largest of the rest
            max = Float.NEGATIVE_INFINITY;
            for (int id = 0; id < vocab; id++) {
                float logit = logits[offset + id];
                if (logit > max) {
                    max = logit;
                }
            }
        }
        double floor = max - NEGLIGIBLE * temperature;
        int n = 0;
        for (int id = 0; id < vocab; id++) {
            float logit = logits[offset + id];
            if (logit >= floor) {
                keys[n++] = ((long) descendingKey(logit) << 32) | id;
            }
        }
        sortByLogit(n);
        if (topK > 0) {
            n = Math.min(n, topK);
        }
        for (int i = 0; i < n; i++) {
            order[i] = (int) keys[i];
        }
        return n;
    }

    /**
     * Sorts keys[0, n), collected in ascending id order, by their upper halves as unsigned ints: logit descending,
     * and, the sort being stable, id ascending among equal logits. A least-significant-digit radix sort: on a small
     * model's flat logits every token is a candidate, and sorting 2,048 of them with Arrays.sort took 24-45 µs a
     * token, more than the demo's forward pass.
     */
    private void sortByLogit(int n) {
        if (n < 2) {
            return;
        }
        for (int shift = Long.SIZE - Integer.SIZE; shift < Long.SIZE; shift += DIGIT_BITS) {
            Arrays.fill(buckets, 0);
            for (int i = 0; i < n; i++) {
                buckets[digit(keys[i], shift)]++;
            }
            if (buckets[digit(keys[0], shift)] == n) {
                continue; // every key has this digit: the pass would move nothing
            }
            for (int b = 0, start = 0; b < BUCKETS; b++) {
                int size = buckets[b];
                buckets[b] = start;
                start += size;
            }
            for (int i = 0; i < n; i++) {
                sorted[buckets[digit(keys[i], shift)]++] = keys[i];
            }
            long[] swap = keys;
            keys = sorted;
            sorted = swap;
        }
    }

    private static int digit(long key, int shift) {
        return (int) (key >>> shift) & (BUCKETS - 1);
    }

    /** An int that orders floats descending as unsigned ints (larger logit, smaller key). */
    private static int descendingKey(float value) {
        int bits = Float.floatToIntBits(value + 0f); // -0 + 0 is +0: a tie, as == has it
        int ascending = bits < 0 ? ~bits : bits | 0x80000000; // unsigned order == float order
        return ~ascending;
    }

    /** u(seed, position) in [0, 1): SplitMix64 finalizer over the pair, 53 random bits. */
    public static double uniform(long seed, int position) {
        long z = mix(seed + 0x9E3779B97F4A7C15L * (position + 1L));
        z = mix(z ^ 0xD1B54A32D192ED03L);
        return (z >>> 11) * 0x1.0p-53;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
