package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged or hand-edited checkpoint (its fingerprint intact) is refused naming the file, not failed on later. */
class CheckpointTest {

    private static final ModelConfig CONFIG = TinyModels.llama();
    private static final ModelWeights WEIGHTS = TinyModels.weights(CONFIG, 42);
    private static final List<TokenSequence> SEQUENCES = List.of(
            TokenSequence.greedy(new int[] {1, 2, 3, 4, 5, 6}, 0, 0),
            new TokenSequence(new int[] {6, 5, 4, 3, 2, 1}, 0, 1, 6));

    /**
     * The step and random state: a missing step failed as 'Cannot parse null string: null', and a negative one
     * trained from a negative step (a negative learning rate, and AdamW's bias correction divided by zero).
     */
    @Test
    void aStepMissingOrOutOfRangeIsNamed(@TempDir Path dir) {
        Checkpoint checkpoint = new Checkpoint(dir);
        try (ComputePool pool = new ComputePool(1)) {
            VectorOps ops = new VectorOps(pool);
            checkpoint.saveState(trainer(ops), "run");
            Path file = dir.resolve(Checkpoint.STATE_FILE);
            for (String step : new String[] {null, "x", "-3", "11"}) {
                rewriteStep(file, step);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> checkpoint.restoreState(trainer(ops), "run"), "step " + step);
                String expected = file + ": metadata \"step\" must be a whole number from 0 to 10, got " + step;
                assertTrue(e.getMessage().contains(expected), e.getMessage());
            }
            rewriteStep(file, "10");
            Trainer done = trainer(ops);
            checkpoint.restoreState(done, "run");
            assertEquals(10, done.step());
        }
    }

    /** No sequences resumed as zero (then 'no held-out positions: raise --samples'); a bad one named no file. */
    @Test
    void sequencesMissingEmptyOrOutsideTheVocabularyAreNamed(@TempDir Path dir) throws IOException {
        Checkpoint checkpoint = new Checkpoint(dir);
        checkpoint.saveSequences(SEQUENCES, "run");
        Path file = dir.resolve(Checkpoint.SEQUENCES_FILE);
        List<TokenSequence> loaded = checkpoint.loadSequences("run", CONFIG.vocabSize());
        assertEquals(List.of(0, 6), loaded.stream().map(TokenSequence::greedyFrom).toList());
        String[][] cases = {
            {"{\"fingerprint\": \"run\"}", file + ": no \"sequences\" list"},
            {"{\"fingerprint\": \"run\", \"sequences\": [{\"tokens\": [], \"draft_start\": 0,"
                + " \"greedy_from\": 0}]}",
                file + " sequence 0: draft start 0 outside a sequence of 0"},
            {"{\"fingerprint\": \"run\", \"sequences\": [{\"tokens\": [1, 2], \"draft_start\": 0}]}",
                file + " sequence 0: no \"greedy_from\""},
            {"{\"fingerprint\": \"run\", \"sequences\": [{\"tokens\": [1, 2], \"draft_start\": 1,"
                + " \"greedy_from\": 0}]}",
                file + " sequence 0: greedy continuation from 0: expected from the draft start 1"},
            {"{\"fingerprint\": \"run\", \"sequences\": [{\"tokens\": [1, 99999], \"draft_start\": 0}]}",
                file + " sequence 0: token 99999 is no id of the vocabulary [0, " + CONFIG.vocabSize() + ")"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> checkpoint.loadSequences("run", CONFIG.vocabSize()), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
    }

    private static Trainer trainer(VectorOps ops) {
        float[] hidden = new float[12 * CONFIG.hiddenSize()];
        Corpus corpus = new Corpus(SEQUENCES, hidden, CONFIG.hiddenSize(), 0.5, 1);
        return new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 2, 1, false),
                new Trainer.Settings(10, 4, 1e-3, 1, 0, 1.0, 0.8, 3));
    }

    /** The state file again, with its step replaced (or dropped, for null). */
    private static void rewriteStep(Path file, String step) {
        SafetensorsWriter writer = new SafetensorsWriter();
        try (TensorStore store = TensorStore.openFile(file)) {
            for (String name : store.names()) {
                writer.putFloats(name, DType.F32, store.info(name).shape(), store.readFloats(name));
            }
            store.metadata().forEach((key, value) -> {
                if (!key.equals("step")) {
                    writer.metadata(key, value);
                }
            });
        }
        if (step != null) {
            writer.metadata("step", step);
        }
        writer.write(file);
    }
}
