package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Stop rules applied to the tokens of an accepted path one at a time, as plain decoding would. */
class StopInsidePathTest {

    private static Sequence sequence(Set<Integer> eos, List<String> stops, int maxNew, int context) {
        GenerationRequest request = new GenerationRequest("s", new int[] {1, 2}, maxNew, SamplingParams.GREEDY, stops);
        StopRules rules = new StopRules(eos, stops, maxNew, context, TestDecoders.TEXT.open(request.promptIds()));
        return new Sequence(request, rules, null, false, null, 5, 4);
    }

    /** Appends tokens until the sequence says it is done; returns how many were taken. */
    private static int feed(Sequence seq, Set<Integer> eos, int... tokens) {
        for (int i = 0; i < tokens.length; i++) {
            if (seq.append(tokens[i], eos.contains(tokens[i]), () -> null)) {
                return i + 1;
            }
        }
        return tokens.length;
    }

    @Test
    void eosInsideAcceptedPathCutsThereAndIsNotEmitted() {
        Set<Integer> eos = Set.of(9);
        Sequence seq = sequence(eos, List.of(), 50, 100);
        assertEquals(3, feed(seq, eos, 4, 5, 9, 6, 7));
        assertEquals(FinishReason.EOS, seq.finishReason);
        assertArrayEquals(new int[] {4, 5}, seq.completionIds());
    }

    @Test
    void maxNewTokensCutsInsidePath() {
        Sequence seq = sequence(Set.of(), List.of(), 3, 100);
        assertEquals(3, feed(seq, Set.of(), 4, 5, 6, 7, 8));
        assertEquals(FinishReason.LENGTH, seq.finishReason);
        assertArrayEquals(new int[] {4, 5, 6}, seq.completionIds());
    }

    @Test
    void contextLengthCutsInsidePath() {
        Sequence seq = sequence(Set.of(), List.of(), 50, 4); // 2 prompt tokens, room for 2 more
        assertEquals(2, feed(seq, Set.of(), 4, 5, 6));
        assertEquals(FinishReason.LENGTH, seq.finishReason);
    }

    @Test
    void stopStringSpanningTokensCutsAtTheCompletingToken() {
        Sequence seq = sequence(Set.of(), List.of("<5><6>"), 50, 100);
        assertEquals(3, feed(seq, Set.of(), 4, 5, 6, 7));
        assertEquals(FinishReason.STOP, seq.finishReason);
        assertArrayEquals(new int[] {4, 5, 6}, seq.completionIds());
        assertEquals("<4>", seq.stopRules.streamedText().substring(0, seq.stopRules.stopIndex()));
    }
}
