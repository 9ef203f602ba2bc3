package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LogprobCalculatorTest {

    /** log softmax in double precision, written independently. */
    private static double[] logSoftmax(float[] logits, int offset, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[offset + i] - max);
        }
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            out[i] = logits[offset + i] - max - Math.log(sum);
        }
        return out;
    }

    @Test
    void matchesLogSoftmaxAndRanksTheTopTokens() {
        Random random = new Random(3);
        for (int vocab : new int[] {1, 7, 16, 61, 2048, 2051}) {
            LogprobCalculator calculator = new LogprobCalculator(vocab);
            for (int trial = 0; trial < 20; trial++) {
                int offset = random.nextInt(5);
                float[] logits = new float[offset + vocab];
                for (int i = 0; i < logits.length; i++) {
                    logits[i] = (float) (random.nextGaussian() * 4);
                }
                double[] expected = logSoftmax(logits, offset, vocab);
                int token = random.nextInt(vocab);
                int top = Math.min(vocab, 1 + random.nextInt(GenerationRequest.MAX_LOGPROBS));
                TokenLogprob lp = calculator.of(logits, offset, token, top);
                assertEquals(token, lp.id());
                assertEquals(expected[token], lp.logprob(), 1e-5, "vocab " + vocab);
                int[] ranked = IntStream.range(0, vocab).boxed()
                        .sorted(Comparator.comparingDouble((Integer i) -> -logits[offset + i]).thenComparing(i -> i))
                        .mapToInt(Integer::intValue).limit(top).toArray();
                assertArrayEquals(ranked, lp.topIds(), "vocab " + vocab);
                for (int i = 0; i < top; i++) {
                    assertEquals(expected[ranked[i]], lp.topLogprobs()[i], 1e-5);
                }
            }
        }
    }

    @Test
    void tiesGoToTheLowerIdAndTopZeroReportsOnlyTheToken() {
        float[] logits = {1f, 3f, 2f, 3f, 3f, -1f};
        LogprobCalculator calculator = new LogprobCalculator(logits.length);
        TokenLogprob lp = calculator.of(logits, 0, 5, 4);
        assertArrayEquals(new int[] {1, 3, 4, 2}, lp.topIds());
        assertEquals(lp.topLogprobs()[0], lp.topLogprobs()[1]);
        TokenLogprob none = calculator.of(logits, 0, 2, 0);
        assertEquals(0, none.topIds().length);
        assertEquals(lp.topLogprobs()[3], none.logprob());
    }

    @Test
    void aCertainTokenHasLogprobZeroAndNegligibleOnesStayFinite() {
        float[] logits = new float[100];
        Arrays.fill(logits, -200f);
        logits[42] = 50f;
        TokenLogprob lp = new LogprobCalculator(100).of(logits, 0, 42, 2);
        assertEquals(0f, lp.logprob());
        assertEquals(-250f, lp.topLogprobs()[1], 1e-3); // exp underflows to 0 but the log-probability is exact
    }

    @Test
    void rejectsTooManyAlternatives() {
        assertThrows(IllegalArgumentException.class, () -> new LogprobCalculator(10).of(new float[10], 0, 0, 21));
        assertThrows(IllegalArgumentException.class, () -> new GenerationRequest("r", new int[] {1}, 4,
                SamplingParams.GREEDY, null, false, 21));
    }
}
