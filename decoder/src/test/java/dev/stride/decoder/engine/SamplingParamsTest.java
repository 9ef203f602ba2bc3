package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parameters given as doubles keep their meaning as floats, or are refused naming the parameter. */
class SamplingParamsTest {

    @Test
    void doublesNarrowToTheNearestFloat() {
        assertEquals(0.7f, SamplingParams.narrowed("temperature", 0.7));
        assertEquals(0f, SamplingParams.narrowed("temperature", 0.0));
        assertEquals(Float.MIN_VALUE, SamplingParams.narrowed("temperature", 1e-45)); // a subnormal float is kept
        assertTrue(Float.isNaN(SamplingParams.narrowed("top_p", Double.NaN))); // refused later, by the range checks
    }

    @Test
    void aValueWhoseNarrowingChangesItsMeaningIsRefusedByName() {
        // 1e-50 became 0, greedy decoding instead of sampling; 1e39 became Infinity, reported as "got Infinity".
        for (double value : new double[] {1e-50, -1e-50, 1e39}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SamplingParams.narrowed("temperature", value));
            assertTrue(e.getMessage().startsWith("temperature " + value + " is beyond a 32-bit float's range"),
                    e.getMessage());
        }
    }
}
