package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.Logits;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The coupled sampler: a pure function of (logits, parameters, seed, position) with the right distribution. */
class CoupledSamplerTest {

    private static int sample(float[] logits, SamplingParams params, int position) {
        return new CoupledSampler(logits.length).choose(logits, 0, params, position);
    }

    /** Token ids by (logit desc, id asc). */
    private static Integer[] ranked(float[] logits) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a])
                : Integer.compare(a, b));
        return order;
    }

    private static double[] softmax(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }

    private static double chiSquare(int[] counts, double[] p, int n) {
        double chi = 0;
        for (int i = 0; i < counts.length; i++) {
            double expected = n * p[i];
            chi += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return chi;
    }

    @Test
    void greedyIsArgmaxWithTheLowestIdOnTies() {
        assertEquals(1, Logits.argmax(new float[] {1, 5, 5, 2}, 0, 4));
        assertEquals(0, Logits.argmax(new float[] {7, 7, 7}, 0, 3));
        assertEquals(3, Logits.argmax(new float[] {-3, -2, -9, -1}, 0, 4));
        assertEquals(2, Logits.argmax(new float[] {99, 99, 1, 0, 4, 4}, 2, 4), "offset row: 1 0 4 4");
        CoupledSampler sampler = new CoupledSampler(4);
        float[] logits = {0.5f, 2f, 2f, -1f};
        for (int position = 0; position < 50; position++) {
            assertEquals(1, sampler.choose(logits, 0, SamplingParams.GREEDY, position));
            assertEquals(1, sampler.choose(logits, 0, new SamplingParams(0f, 3, 0.5f, position), position),
                    "temperature 0 ignores top-k, top-p and seed");
        }
        // top_k 1 is greedy at any temperature.
        for (int position = 0; position < 50; position++) {
            assertEquals(1, sampler.choose(logits, 0, new SamplingParams(5f, 1, 1f, 3), position));
        }
    }

    @Test
    void sameInputsSameTokenWhateverTheSamplerOrHistory() {
        Random random = new Random(1);
        float[] logits = new float[30];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        SamplingParams params = new SamplingParams(0.9f, 20, 0.95f, 1234L);
        int[] first = new int[200];
        CoupledSampler a = new CoupledSampler(30);
        for (int p = 0; p < first.length; p++) {
            first[p] = a.choose(logits, 0, params, p);
        }
        CoupledSampler b = new CoupledSampler(30);
        float[] other = new float[30];
        for (int p = first.length - 1; p >= 0; p--) {
            b.choose(other, 0, new SamplingParams(1f, 0, 1f, p), p); // unrelated work in between
            assertEquals(first[p], b.choose(logits, 0, params, p), "position " + p);
        }
        // The logits may sit anywhere in a larger buffer.
        float[] padded = new float[90];
        System.arraycopy(logits, 0, padded, 60, 30);
        for (int p = 0; p < first.length; p++) {
            assertEquals(first[p], a.choose(padded, 60, params, p));
        }
    }

    @Test
    void differentPositionsAndSeedsDrawDifferently() {
        float[] logits = new float[16]; // uniform
        SamplingParams seed1 = new SamplingParams(1f, 0, 1f, 1L);
        SamplingParams seed2 = new SamplingParams(1f, 0, 1f, 2L);
        int[] a = new int[100];
        int[] b = new int[100];
        Set<Integer> distinct = new HashSet<>();
        for (int p = 0; p < 100; p++) {
            a[p] = sample(logits, seed1, p);
            b[p] = sample(logits, seed2, p);
            distinct.add(a[p]);
        }
        assertTrue(distinct.size() >= 12, "positions should spread over the tokens: " + distinct);
        int same = 0;
        for (int p = 0; p < 100; p++) {
            same += a[p] == b[p] ? 1 : 0;
        }
        assertTrue(same < 20, "two seeds agree at " + same + " of 100 positions (expected about 6)");
        assertNotEquals(CoupledSampler.uniform(1, 0), CoupledSampler.uniform(1, 1));
        assertNotEquals(CoupledSampler.uniform(1, 0), CoupledSampler.uniform(2, 0));
        assertNotEquals(CoupledSampler.uniform(0, 1), CoupledSampler.uniform(1, 0), "seed and position not mixed up");
    }

    @Test
    void frequenciesMatchSoftmaxAtTemperature() {
        float[] logits = {2.0f, 1.0f, 0.5f, 0f, -1f, 0.3f};
        int n = 20_000;
        for (float temperature : new float[] {0.5f, 1f, 2f}) {
            double[] p = softmax(logits, temperature);
            int[] byPosition = new int[logits.length];
            int[] bySeed = new int[logits.length];
            CoupledSampler sampler = new CoupledSampler(logits.length);
            for (int i = 0; i < n; i++) {
                byPosition[sampler.choose(logits, 0, new SamplingParams(temperature, 0, 1f, 99L), i)]++;
                bySeed[sampler.choose(logits, 0, new SamplingParams(temperature, 0, 1f, i), 7)]++;
            }
            // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
            double chiPosition = chiSquare(byPosition, p, n);
            double chiSeed = chiSquare(bySeed, p, n);
            assertTrue(chiPosition < 20.5, "T=" + temperature + " over positions: chi2 " + chiPosition + " counts "
                    + Arrays.toString(byPosition) + " expected " + Arrays.toString(p));
            assertTrue(chiSeed < 20.5, "T=" + temperature + " over seeds: chi2 " + chiSeed + " counts "
                    + Arrays.toString(bySeed) + " expected " + Arrays.toString(p));
        }
    }

    @Test
    void topKNeverLeavesTheTopKAndRenormalizes() {
        Random random = new Random(3);
        for (int trial = 0; trial < 20; trial++) {
            float[] logits = new float[40];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (random.nextInt(16) - 10) * 0.5f; // ties, also across the top-k boundary; negatives
            }
            int k = 1 + random.nextInt(6);
            Integer[] order = ranked(logits);
            Set<Integer> top = new HashSet<>(Arrays.asList(order).subList(0, k));
            CoupledSampler sampler = new CoupledSampler(logits.length);
            SamplingParams params = new SamplingParams(1.5f, k, 1f, trial);
            for (int p = 0; p < 500; p++) {
                int token = sampler.choose(logits, 0, params, p);
                assertTrue(top.contains(token), "top-" + k + " returned " + token + " outside " + top);
            }
        }
        // Top-1 is the argmax for any floats: negative, tiny, huge.
        float[] specials = {0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e30f, 3e38f, -3e38f};
        for (int trial = 0; trial < 300; trial++) {
            float[] logits = new float[1 + random.nextInt(20)];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = random.nextInt(4) == 0 ? specials[random.nextInt(specials.length)]
                        : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(7) - 3));
            }
            int expected = ranked(logits)[0];
            assertEquals(expected, new CoupledSampler(logits.length).choose(logits, 0,
                    new SamplingParams(100f, 1, 1f, trial), trial), "top-1 of " + Arrays.toString(logits));
        }
        // Within the top k, frequencies follow the renormalized softmax.
        float[] logits = {0f, 3f, 1f, 2.5f, 2f, -1f};
        int n = 20_000;
        int[] counts = new int[logits.length];
        CoupledSampler sampler = new CoupledSampler(logits.length);
        for (int i = 0; i < n; i++) {
            counts[sampler.choose(logits, 0, new SamplingParams(1f, 3, 1f, 5L), i)]++;
        }
        double z = Math.exp(3) + Math.exp(2.5) + Math.exp(2);
        double[] p = {0, Math.exp(3) / z, 0, Math.exp(2.5) / z, Math.exp(2) / z, 0};
        assertEquals(0, counts[0] + counts[2] + counts[5]);
        int[] kept = {counts[1], counts[3], counts[4]};
        double chi = chiSquare(kept, new double[] {p[1], p[3], p[4]}, n);
        assertTrue(chi < 13.8, "top-3 frequencies: chi2 " + chi + " counts " + Arrays.toString(counts)); // 2 dof
    }

    /** The smallest most-likely-first prefix whose tempered probability reaches topP. */
    private static Set<Integer> nucleus(float[] logits, float temperature, float topP) {
        double[] p = softmax(logits, temperature);
        Integer[] order = ranked(logits);
        Set<Integer> nucleus = new HashSet<>();
        double mass = 0;
        for (Integer id : order) {
            if (mass >= topP) {
                break;
            }
            nucleus.add(id);
            mass += p[id];
        }
        return nucleus;
    }

    @Test
    void topPNeverLeavesTheNucleus() {
        Random random = new Random(4);
        for (int trial = 0; trial < 30; trial++) {
            float[] logits = new float[25];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (2 * random.nextGaussian());
            }
            float topP = 0.1f + 0.85f * random.nextFloat();
            float temperature = 0.3f + 1.5f * random.nextFloat();
            Set<Integer> nucleus = nucleus(logits, temperature, topP);
            Set<Integer> drawn = new HashSet<>();
            CoupledSampler sampler = new CoupledSampler(logits.length);
            SamplingParams params = new SamplingParams(temperature, 0, topP, trial);
            for (int p = 0; p < 2000; p++) {
                int token = sampler.choose(logits, 0, params, p);
                assertTrue(nucleus.contains(token), "top_p " + topP + " T " + temperature + " returned " + token
                        + " outside the nucleus " + nucleus);
                drawn.add(token);
            }
            assertEquals(nucleus, drawn, "every nucleus token is drawn at some position (trial " + trial + ")");
        }
        // A dominant token alone fills the nucleus.
        float[] peaked = {0f, 10f, 0f, 0f};
        for (int p = 0; p < 200; p++) {
            assertEquals(1, sample(peaked, new SamplingParams(1f, 0, 0.9f, 8L), p));
        }
    }

    @Test
    void uniformIsInTheUnitIntervalAndRoughlyUniform() {
        int bins = 20;
        int[] counts = new int[bins];
        int n = 100_000;
        double sum = 0;
        double min = 1;
        double max = 0;
        for (int i = 0; i < n; i++) {
            long seed = i / 100;
            int position = i % 100;
            double u = CoupledSampler.uniform(seed, position);
            assertTrue(u >= 0 && u < 1, "u = " + u);
            counts[(int) (u * bins)]++;
            sum += u;
            min = Math.min(min, u);
            max = Math.max(max, u);
        }
        assertEquals(0.5, sum / n, 0.005);
        assertTrue(min < 1e-3 && max > 1 - 1e-3, "range [" + min + ", " + max + "]");
        double[] p = new double[bins];
        Arrays.fill(p, 1.0 / bins);
        double chi = chiSquare(counts, p, n);
        assertTrue(chi < 43.8, "19 dof, P(chi2 > 43.8) = 0.001: chi2 " + chi + " " + Arrays.toString(counts));
        // Extreme inputs stay in range.
        for (long seed : new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}) {
            for (int position : new int[] {Integer.MIN_VALUE, -1, 0, Integer.MAX_VALUE}) {
                double u = CoupledSampler.uniform(seed, position);
                assertTrue(u >= 0 && u < 1);
            }
        }
    }

    /**
     * A model can write NaN or infinite logits. NaN is never a candidate (as in greedy decoding), whatever the
     * sampler did before; tied +Infinity logits are drawn from like any tie; -0 ties +0, the lower id first.
     */
    @Test
    void nonFiniteAndSignedZeroLogitsFollowTheTieAndRankRules() {
        float[] withNan = {1f, Float.NaN, 3f, 2f};
        SamplingParams[] params = {new SamplingParams(1f, 0, 1f, 7L), new SamplingParams(1f, 0, 0.9f, 7L)};
        for (SamplingParams p : params) {
            CoupledSampler used = new CoupledSampler(4);
            used.choose(new float[] {0f, 0f, 0f, 9f}, 0, p, 0); // another row first: its ranking must not leak
            for (int position = 0; position < 50; position++) {
                int fresh = new CoupledSampler(4).choose(withNan, 0, p, position);
                assertNotEquals(1, fresh);
                assertEquals(fresh, used.choose(withNan, 0, p, position));
            }
        }
        float inf = Float.POSITIVE_INFINITY;
        float[] infinities = {0f, inf, 5f, inf, inf};
        for (float topP : new float[] {1f, 0.9f}) {
            Set<Integer> drawn = new HashSet<>();
            CoupledSampler sampler = new CoupledSampler(infinities.length);
            for (int position = 0; position < 200; position++) {
                drawn.add(sampler.choose(infinities, 0, new SamplingParams(1f, 0, topP, 3L), position));
            }
            assertEquals(Set.of(1, 3, 4), drawn, "top_p " + topP);
        }
        float[] zeros = {-0f, 0f, -1f};
        assertEquals(Logits.argmax(zeros, 0, 3), new CoupledSampler(3).choose(zeros, 0,
                new SamplingParams(1f, 1, 1f, 0L), 0), "top_k 1 is greedy");
    }

    @Test
    void samplingParamsRejectInvalidValues() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(-1f, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.POSITIVE_INFINITY, 0, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, -1, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, 1.01f, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1f, 0, Float.NaN, 0));
    }

    /**
     * choose() is the sampler's definition, bit for bit, written here plainly: candidates within 30 temperatures of
     * the top logit (NaN never), ranked by (logit desc, id asc), the top k, StrictMath weights summed most likely
     * first, the nucleus, then the inverse CDF of u(seed, position). Over flat logits (every token a candidate, as on
     * a small model), peaked ones, quantized ones (ties), signed zeros, infinities and NaN, vocabularies of 1 to
     * 150,000 tokens.
     */
    @Test
    void chooseIsTheDefinitionBitForBit() {
        Random random = new Random(17);
        for (int trial = 0; trial < 400; trial++) {
            int vocab = trial == 0 ? 150_000 : 1 + random.nextInt(trial % 10 == 0 ? 20_000 : 300);
            float[] logits = new float[vocab];
            int kind = trial % 5;
            for (int i = 0; i < vocab; i++) {
                logits[i] = switch (kind) {
                    case 0 -> (float) random.nextGaussian();                        // flat: all candidates
                    case 1 -> (float) (random.nextGaussian() * 8);                  // peaked: a few
                    case 2 -> (random.nextInt(7) - 3) * 0.25f;                      // ties
                    case 3 -> new float[] {0f, -0f, 1f, -1f}[random.nextInt(4)];    // signed zeros
                    default -> random.nextInt(50) == 0 ? new float[] {Float.NaN, Float.POSITIVE_INFINITY,
                        Float.NEGATIVE_INFINITY}[random.nextInt(3)] : (float) random.nextGaussian() * 3;
                };
            }
            SamplingParams params = new SamplingParams(new float[] {0.3f, 0.8f, 1f, 2.5f}[random.nextInt(4)],
                    random.nextBoolean() ? 0 : 1 + random.nextInt(40), random.nextBoolean() ? 1f : 0.05f
                    + 0.9f * random.nextFloat(), random.nextLong());
            CoupledSampler sampler = new CoupledSampler(vocab);
            for (int position = 0; position < 20; position++) {
                assertEquals(reference(logits, params, position), sampler.choose(logits, 0, params, position),
                        "trial " + trial + " (vocabulary " + vocab + ", kind " + kind + ", " + params + "), position "
                                + position);
            }
        }
    }

    private static int reference(float[] logits, SamplingParams params, int position) {
        float max = Float.NEGATIVE_INFINITY;
        for (float logit : logits) {
            max = logit > max ? logit : max;
        }
        double floor = max - 30.0 * params.temperature();
        Integer[] candidates = Arrays.stream(ranked(logits)).filter(id -> logits[id] >= floor).toArray(Integer[]::new);
        if (candidates.length == 0) {
            return Logits.argmax(logits, 0, logits.length);
        }
        int n = params.topK() > 0 ? Math.min(params.topK(), candidates.length) : candidates.length;
        double[] weights = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            float logit = logits[candidates[i]];
            weights[i] = logit == max ? 1.0 : StrictMath.exp((logit - (double) max) / params.temperature());
            total += weights[i];
        }
        if (params.topP() < 1f) {
            double kept = 0;
            int i = 0;
            while (i < n && kept < params.topP() * total) {
                kept += weights[i++];
            }
            n = Math.max(1, i);
            total = kept;
        }
        double target = CoupledSampler.uniform(params.seed(), position) * total;
        double cumulative = 0;
        for (int i = 0; i < n - 1; i++) {
            cumulative += weights[i];
            if (target < cumulative) {
                return candidates[i];
            }
        }
        return candidates[n - 1];
    }
}
