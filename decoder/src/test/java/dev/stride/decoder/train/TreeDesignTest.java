package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The designed tree and its expected tokens per pass against what greedy decoding with it gets. */
class TreeDesignTest {

    /**
     * Trained heads on the demo model, measured on the held-out prompts' own greedy continuations (their length, past
     * end-of-sequence): the tree's expected tokens per pass is what the engine then counts. It predicted 1.78 where
     * the engine counted 2.41: it multiplied each head's own rate for a path's ranks (the heads' errors are
     * correlated), counted sampled continuations as well, and averaged over every position, where passes skip the
     * easy stretches that accept long paths.
     */
    @Test
    void theExpectedTokensPerPassIsWhatGreedyDecodingWithTheTreeCounts(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("heads");
        Path tree = out.resolve("tree.json");
        CliRuns.expecting(0, "train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                "--prompts", Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads/train_prompts.txt").toString(),
                "--heads", "3", "--layers", "1", "--samples", "400", "--max-new-tokens", "32", "--steps", "300",
                "--batch-size", "64", "--lr", "3e-3", "--threads", "2", "--eval-max-new-tokens", "32",
                "--eval-ignore-eos", "--eval-tree", "file:" + tree);
        JsonNode report = new ObjectMapper().readTree(out.resolve(TrainingReport.FILE).toFile());
        double expected = report.path("tree").path("expected_tokens_per_pass").asDouble();
        double measured = report.path("engine").path("trees").get(0).path("tokens_per_pass").asDouble();
        assertTrue(measured > 1.5, "heads that accept something: " + measured);
        assertEquals(measured, expected, 0.05 * measured, "expected tokens per pass against the engine's");
    }

    /**
     * Heads right together or wrong together: a chain accepts all three drafts along one sequence and none along
     * the other. The product of each head's rate (2/3) gave 1 + 2/3 + 4/9 + 8/27 = 2.41 per pass, the average
     * over positions 1 + 3 * 2/3 = 3; passes get 8 tokens in 2 passes and 4 in 4: 2 per pass.
     */
    @Test
    void correlatedHeadsAreCountedTogetherAndPassByPass() {
        AcceptedRanks ranks = new AcceptedRanks();
        ranks.startSequence();
        for (int t = 0; t < 8; t++) {
            ranks.add(new int[] {0, 0, 0});
        }
        ranks.startSequence();
        for (int t = 0; t < 4; t++) {
            ranks.add(new int[0]);
        }
        TreeDesign chain = TreeDesign.best(ranks, 3, 4);
        assertEquals("[[0], [0,0], [0,0,0]]", chain.toJson());
        assertEquals(2.0, chain.expectedTokensPerPass(), 1e-12);
        assertEquals(8, ranks.acceptedAt(new int[] {0, 0, 0}));
    }

    /**
     * A path whose heads are never right together is left out, however often each is right on its own: head 1's
     * second guess and head 2's first are each right at half the positions, never at the same one.
     */
    @Test
    void aPathIsWorthThePositionsWhereAllItsCandidatesAreRight() {
        AcceptedRanks ranks = new AcceptedRanks();
        ranks.startSequence();
        for (int t = 0; t < 6; t++) {
            ranks.add(t % 2 == 0 ? new int[] {0, 0} : new int[] {1, 1});
        }
        List<int[]> paths = TreeDesign.best(ranks, 2, 5).paths();
        assertEquals(List.of("[0]", "[0, 0]", "[1]", "[1, 1]"), paths.stream().map(Arrays::toString).toList());
        assertEquals(0, ranks.acceptedAt(new int[] {1, 0}));
    }
}
