package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationRequestTest {

    /**
     * A request without sampling parameters is refused where it is made, naming them: it was accepted, and the
     * decoder's step then failed on it with a NullPointerException, taking every other request in flight along.
     */
    @Test
    void missingSamplingParametersAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GenerationRequest("r7", new int[] {1}, 5, null, List.of()));
        assertTrue(e.getMessage().contains("r7") && e.getMessage().contains("sampling"), e.getMessage());
    }

    /** A null among the stop strings gets the same message as an empty one (List.copyOf threw a bare NPE first). */
    @Test
    void nullStopStringIsRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GenerationRequest("r8", new int[] {1}, 5, SamplingParams.GREEDY, Arrays.asList("x", null)));
        assertTrue(e.getMessage().contains("r8") && e.getMessage().contains("stop strings"), e.getMessage());
    }
}
