package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop on a tiny random model: it learns, and a checkpointed run resumes bit for bit. */
class TrainerTest {

    private static final ModelConfig CONFIG = TinyModels.llama();
    private static final ModelWeights WEIGHTS = TinyModels.weights(CONFIG, 42);

    private static Trainer.Settings settings(int steps) {
        return new Trainer.Settings(steps, 32, 3e-3, 5, 0.01, 1.0, 0.8, 9);
    }

    @Test
    void lossDecreasesOnTheModelsOwnContinuations() {
        try (ComputePool pool = new ComputePool(2)) {
            VectorOps ops = new VectorOps(pool);
            Corpus corpus = TrainingFixtures.corpus(CONFIG, WEIGHTS, ops, 40, 24, 1);
            Trainer trainer = new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 3, 1, false), settings(150));
            Trainer.Evaluation before = trainer.evaluate(corpus.trainPositions());
            trainer.run((t, stats, norm, lr) -> { });
            Trainer.Evaluation after = trainer.evaluate(corpus.trainPositions());
            double[] weights = trainer.headWeights();
            assertTrue(after.stats().objective(weights) < 0.8 * before.stats().objective(weights),
                    "objective " + before.stats().objective(weights) + " -> " + after.stats().objective(weights));
            for (int k = 0; k < 3; k++) {
                assertTrue(after.stats().topAccuracy(k, 1) > before.stats().topAccuracy(k, 1), "head " + k);
            }
        }
    }

    /** Thrown by a step listener to stop a run the way a kill would, right after a checkpoint. */
    private static final class Interrupted extends RuntimeException {
    }

    @Test
    void resumingFromACheckpointGivesTheUninterruptedWeightsBitForBit(@TempDir Path dir) {
        int steps = 24;
        try (ComputePool pool = new ComputePool(2)) {
            VectorOps ops = new VectorOps(pool);
            Corpus corpus = TrainingFixtures.corpus(CONFIG, WEIGHTS, ops, 20, 20, 2);
            Trainer straight = new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 2, 2, false), settings(steps));
            straight.run((t, stats, norm, lr) -> { });

            Checkpoint checkpoint = new Checkpoint(dir.resolve("checkpoint"));
            Trainer first = new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 2, 2, false), settings(steps));
            assertThrows(Interrupted.class, () -> first.run((t, stats, norm, lr) -> {
                if (t.step() == 10) {
                    checkpoint.saveState(t, "run");
                    throw new Interrupted();
                }
            }));
            Trainer resumed = new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 2, 2, false), settings(steps));
            checkpoint.restoreState(resumed, "run");
            assertEquals(10, resumed.step());
            resumed.run((t, stats, norm, lr) -> { });

            List<float[]> expected = straight.model().tensors();
            List<float[]> actual = resumed.model().tensors();
            for (int i = 0; i < expected.size(); i++) {
                assertArrayEquals(expected.get(i), actual.get(i), straight.model().tensorNames().get(i));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> checkpoint.restoreState(
                    new Trainer(ops, corpus, HeadModel.initial(WEIGHTS.lmHead(), 2, 2, false), settings(steps)), "other"));
            assertTrue(e.getMessage().contains(dir.resolve("checkpoint").toString()), e.getMessage());
        }
    }
}
