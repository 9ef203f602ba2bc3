package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector scans against their scalar definitions, on rows full of ties, signed zeros and odd lengths. */
class LogitsTest {

    private static final int TRIALS = 3000;

    /** A row at a random offset: few distinct values (ties everywhere), sometimes -0 beside 0, or a NaN. */
    private static float[] row(Random random, int offset, int len) {
        float[] x = new float[offset + len + random.nextInt(20)];
        Arrays.fill(x, 1e30f); // outside the row: must never be read as part of it
        int distinct = 1 + random.nextInt(6);
        for (int i = 0; i < len; i++) {
            x[offset + i] = random.nextInt(distinct) - 2 + (random.nextInt(8) == 0 ? -0f : 0f);
        }
        if (random.nextInt(10) == 0) {
            x[offset + random.nextInt(len)] = Float.NaN;
        }
        if (random.nextInt(5) == 0) {
            x[offset + random.nextInt(len)] = -0f;
        }
        return x;
    }

    @Test
    void maxAndArgmaxAreTheScalarOnes() {
        Random random = new Random(11);
        for (int t = 0; t < TRIALS; t++) {
            int offset = random.nextInt(40);
            int len = 1 + random.nextInt(90);
            float[] x = row(random, offset, len);
            float max = x[offset];
            int best = 0;
            for (int i = 1; i < len; i++) {
                max = Math.max(max, x[offset + i]);
                if (x[offset + i] > x[offset + best]) {
                    best = i;
                }
            }
            assertEquals(Float.floatToRawIntBits(max), Float.floatToRawIntBits(Logits.max(x, offset, len)),
                    "max of " + Arrays.toString(Arrays.copyOfRange(x, offset, offset + len)));
            assertEquals(best, Logits.argmax(x, offset, len),
                    "argmax of " + Arrays.toString(Arrays.copyOfRange(x, offset, offset + len)));
        }
    }

    @Test
    void topIsAStableSortCutToWidth() {
        Random random = new Random(12);
        for (int t = 0; t < TRIALS; t++) {
            int offset = random.nextInt(40);
            int len = 1 + random.nextInt(90);
            int width = 1 + random.nextInt(9);
            float[] x = row(random, offset, len);
            for (int i = 0; i < len; i++) {
                if (Float.isNaN(x[offset + i])) {
                    x[offset + i] = 7f; // NaN has no place in an order
                }
            }
            Integer[] order = new Integer[len];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (a, b) -> x[offset + a] == x[offset + b] ? Integer.compare(a, b) // 0 == -0: a tie
                    : Float.compare(x[offset + b], x[offset + a]));
            int expected = Math.min(width, len);
            int[] ids = new int[width];
            assertEquals(expected, Logits.top(x, offset, len, width, ids));
            int[] want = Arrays.stream(order).limit(expected).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(want, Arrays.copyOf(ids, expected),
                    "top " + width + " of " + Arrays.toString(Arrays.copyOfRange(x, offset, offset + len)));
        }
    }

    @Test
    void sumOfExponentialsAddsInEightChainsInIndexOrder() {
        Random random = new Random(13);
        for (int t = 0; t < 200; t++) {
            int len = 1 + random.nextInt(300);
            float[] x = new float[len];
            for (int i = 0; i < len; i++) {
                x[i] = (float) random.nextGaussian() * 4;
            }
            float max = Logits.max(x, 0, len);
            float[] scratch = new float[len + VectorExp.SPECIES.length()];
            double got = VectorExp.sumExpBelow(max, x, 0, len, scratch);
            float[] one = new float[VectorExp.SPECIES.length()];
            double[] chains = new double[8];
            for (int i = 0; i < len; i++) {
                one[0] = x[i];
                VectorExp.expBelow(one, 0, max, one, 0);
                chains[i < (len & ~7) ? i % 8 : 0] += one[0];
            }
            double expected = ((chains[0] + chains[1]) + (chains[2] + chains[3]))
                    + ((chains[4] + chains[5]) + (chains[6] + chains[7]));
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(got), "length " + len);
        }
    }
}
