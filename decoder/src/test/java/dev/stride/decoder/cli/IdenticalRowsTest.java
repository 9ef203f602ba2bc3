package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.engine.FinishReason;
import dev.stride.decoder.engine.GenerationResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** bench's "identical rows": a row counts only when every round gave the same tokens and finish reason. */
class IdenticalRowsTest {

    @Test
    void aRowThatDifferedInAnyRoundIsNotIdentical() {
        BenchCommand.IdenticalRows identical = new BenchCommand.IdenticalRows(3);
        List<GenerationResult> plain = List.of(result(FinishReason.LENGTH, 1, 2), result(FinishReason.LENGTH, 3),
                result(FinishReason.STOP, 4));
        // Round 1: row 0 differs in a token; round 2 (the last): every row agrees.
        identical.compare(plain, List.of(result(FinishReason.LENGTH, 1, 9), result(FinishReason.LENGTH, 3),
                result(FinishReason.STOP, 4)));
        identical.compare(plain, plain);
        assertEquals(2, identical.count());
        // Round 3: row 2 has the same tokens but another finish reason.
        identical.compare(plain, List.of(plain.get(0), plain.get(1), result(FinishReason.LENGTH, 4)));
        assertEquals(1, identical.count());
    }

    private static GenerationResult result(FinishReason reason, int... tokens) {
        return new GenerationResult("r", tokens, "", reason, 1, 1, 0, 0, new int[0], new int[0], 0, 0, null, null);
    }
}
