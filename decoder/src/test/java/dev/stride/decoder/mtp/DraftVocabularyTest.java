package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.model.ModelException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DraftVocabularyTest {

    @TempDir
    Path dir;

    /** Counts falling geometrically over 1,000 ids: most of the mass in a few tokens. */
    private static long[] skewedCounts() {
        long[] counts = new long[1000];
        for (int id = 0; id < counts.length; id++) {
            counts[(id * 7) % counts.length] = (long) (1e6 * Math.pow(0.97, id));
        }
        return counts;
    }

    @Test
    void keepsTheMostFrequentTokensCoveringTheShareInWholeRowGroups() {
        long[] counts = skewedCounts();
        DraftVocabulary v = DraftVocabulary.of(counts);
        long total = Arrays.stream(counts).sum();
        assertEquals(0, v.size() % DraftVocabulary.ROW_MULTIPLE);
        long kept = Arrays.stream(v.ids()).mapToLong(id -> counts[id]).sum();
        assertEquals((double) kept / total, v.coverage(), 1e-12);
        assertTrue(v.coverage() >= DraftVocabulary.COVERAGE, "covers " + v.coverage());
        long withoutLastGroup = Arrays.stream(v.ids(), 0, v.size() - DraftVocabulary.ROW_MULTIPLE)
                .mapToLong(id -> counts[id]).sum();
        assertTrue(withoutLastGroup < DraftVocabulary.COVERAGE * total, "one group fewer would not cover the share");
        for (int i = 1; i < v.size(); i++) {
            int a = v.ids()[i - 1];
            int b = v.ids()[i];
            assertTrue(counts[a] > counts[b] || counts[a] == counts[b] && a < b, "ranked at " + i);
        }
        assertEquals(total, v.countedTokens());
    }

    @Test
    void noVocabularyWhereItWouldHoldEveryTokenOrNothingWasCounted() {
        long[] even = new long[100];
        Arrays.fill(even, 5);
        assertNull(DraftVocabulary.of(even), "95 % of an even spread takes 95 tokens: in groups of 64, all 100");
        assertNull(DraftVocabulary.of(new long[4096]));
    }

    @Test
    void roundTripsThroughItsFile() {
        DraftVocabulary v = DraftVocabulary.of(skewedCounts());
        v.write(dir);
        DraftVocabulary read = DraftVocabulary.read(dir, 1000);
        assertArrayEquals(v.ids(), read.ids());
        assertEquals(v.coverage(), read.coverage());
        assertEquals(v.countedTokens(), read.countedTokens());
        assertNull(DraftVocabulary.read(dir.resolve("elsewhere"), 1000), "heads without the file");
    }

    @Test
    void aBadFileIsRefusedNamingItAndTheProblem() throws IOException {
        assertRefused("{\"ids\": [3, 1000]}", "ids[1] = 1000 is not a token id of the model's vocabulary [0, 1000)");
        assertRefused("{\"ids\": [3, -1]}", "ids[1] = -1");
        assertRefused("{\"ids\": [3, 2.5]}", "ids[1] = 2.5");
        assertRefused("{\"ids\": [7, 3, 7]}", "token id 7 is listed twice");
        assertRefused("{\"ids\": []}", "'ids' must be a non-empty array");
        assertRefused("{\"tokens\": 3}", "'ids' must be a non-empty array");
        assertRefused("{\"ids\": [1,", "not readable JSON");
    }

    private void assertRefused(String json, String expected) throws IOException {
        Files.writeString(dir.resolve(DraftVocabulary.FILE), json);
        ModelException e = assertThrows(ModelException.class, () -> DraftVocabulary.read(dir, 1000));
        assertTrue(e.getMessage().contains(DraftVocabulary.FILE) && e.getMessage().contains(expected), e.getMessage());
    }
}
