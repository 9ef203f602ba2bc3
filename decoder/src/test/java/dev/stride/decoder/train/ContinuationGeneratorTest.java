package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.Fixtures.Reference;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Self-distillation data from the bundled model: prompts kept, greedy runs are the model's greedy text. */
class ContinuationGeneratorTest {

    private static final int NEW_TOKENS = 10;

    @Test
    void greedyAndSampledContinuationsOfEachPromptAreReproducible() {
        List<Reference> references = Fixtures.references().subList(0, 2);
        List<int[]> prompts = references.stream().map(Reference::promptIds).toList();
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 2, "cpu", 64L << 20))) {
            // Share 0.5 over 6 samples: sampled, greedy, sampled, greedy, sampled, greedy-after-a-lead-in.
            List<TokenSequence> sequences = ContinuationGenerator.generate(engine, prompts, 6, 0.5, NEW_TOKENS, 3,
                    done -> { });
            assertEquals(6, sequences.size());
            int[] promptOf = {0, 0, 1, 1, 0, 0};
            for (int i = 0; i < 6; i++) {
                TokenSequence s = sequences.get(i);
                int[] prompt = prompts.get(promptOf[i]);
                assertEquals(promptOf[i], s.group());
                assertEquals(prompt.length - 1, s.draftStart());
                assertEquals(prompt.length + NEW_TOKENS, s.tokens().length, "sequence " + i);
                assertArrayEquals(prompt, Arrays.copyOf(s.tokens(), prompt.length), "sequence " + i);
            }
            for (int i : new int[] {1, 3}) {
                Reference ref = references.get(promptOf[i]);
                assertArrayEquals(Arrays.copyOf(ref.greedyIds(), NEW_TOKENS),
                        Arrays.copyOfRange(sequences.get(i).tokens(), ref.promptIds().length, ref.promptIds().length
                                + NEW_TOKENS), "greedy sequence " + i);
            }
            assertFalse(Arrays.equals(sequences.get(1).tokens(), sequences.get(5).tokens()),
                    "a repeated prompt's greedy run should start after a sampled lead-in");
            // Where greedy decoding's drafts would run: from the prompt, after the lead-in, or nowhere (sampled).
            int[] greedyFrom = sequences.stream().mapToInt(TokenSequence::greedyFrom).toArray();
            int leadIn = greedyFrom[5] - sequences.get(5).draftStart();
            assertArrayEquals(new int[] {sequences.get(0).tokens().length, sequences.get(1).draftStart(),
                sequences.get(2).tokens().length, sequences.get(3).draftStart(), sequences.get(4).tokens().length,
                sequences.get(5).draftStart() + leadIn}, greedyFrom);
            assertTrue(leadIn >= 1 && leadIn <= 8, "lead-in of " + leadIn + " tokens");
            List<TokenSequence> again = ContinuationGenerator.generate(engine, prompts, 6, 0.5, NEW_TOKENS, 3,
                    done -> { });
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(sequences.get(i).tokens(), again.get(i).tokens(), "sequence " + i);
            }
        }
    }

    /** A prompt listed twice is one prompt: its sequences share a group, so the split keeps them on one side. */
    @Test
    void aRepeatedPromptIsOneGroup() {
        List<int[]> prompts = Fixtures.references().subList(0, 2).stream().map(Reference::promptIds).toList();
        List<int[]> repeated = List.of(prompts.get(0), prompts.get(1), prompts.get(0).clone());
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), null, 1, "cpu", 64L << 20))) {
            List<TokenSequence> sequences = ContinuationGenerator.generate(engine, repeated, 3, 0, 2, 3, done -> { });
            assertArrayEquals(new int[] {0, 1, 0}, sequences.stream().mapToInt(TokenSequence::group).toArray());
        }
    }
}
