package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.testing.TinyModels;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The analytic backward pass against central finite differences of the forward pass. */
class HeadGradientTest {

    private static final double[] HEAD_WEIGHTS = {1.0, 0.8};

    /**
     * With a shared projection the projection is frozen: the blocks' gradients flow through it all the same. With
     * token input the embedding is frozen and each head's input matrix is trained.
     */
    @ParameterizedTest(name = "shared projection: {0}, token input: {1}")
    @CsvSource({"false, false", "true, false", "false, true", "true, true"})
    void gradientsOfBlocksBiasesAndProjectionsMatchFiniteDifferences(boolean sharedProjection, boolean tokenInput) {
        ModelConfig config = TinyModels.config(Architecture.LLAMA, 12, 2, 1, 1, 17, 32, 0);
        HeadModel model = TrainingFixtures.randomHeads(config, 2, 2, sharedProjection,
                tokenInput ? TinyModels.weights(config, 5).embedding() : null, 7);
        HeadBatch batch = randomBatch(config, 2, 6, 11);
        try (ComputePool pool = new ComputePool(2)) {
            HeadPass pass = new HeadPass(new VectorOps(pool), config.hiddenSize(), config.vocabSize(), 2);
            HeadModel grads = HeadModel.zerosLike(model);
            assertEquals((sharedProjection ? 8 : 10) + (tokenInput ? 2 : 0), model.tensors().size(),
                    "trainable tensors");
            pass.train(model, batch, HEAD_WEIGHTS, grads);
            List<float[]> params = model.tensors();
            List<float[]> analytic = grads.tensors();
            List<String> names = model.tensorNames();
            Random random = new Random(3);
            for (int t = 0; t < params.size(); t++) {
                float[] p = params.get(t);
                double diffSquares = 0;
                double sumSquares = 0;
                for (int trial = 0; trial < 12; trial++) {
                    int i = random.nextInt(p.length);
                    double numeric = numericGradient(pass, model, batch, p, i);
                    double exact = analytic.get(t)[i];
                    diffSquares += (exact - numeric) * (exact - numeric);
                    sumSquares += (exact + numeric) * (exact + numeric);
                }
                double relative = Math.sqrt(diffSquares) / Math.max(Math.sqrt(sumSquares), 1e-6);
                assertTrue(relative < 1e-2, names.get(t) + ": relative error " + relative);
            }
        }
    }

    private static double numericGradient(HeadPass pass, HeadModel model, HeadBatch batch, float[] p, int i) {
        float saved = p[i];
        float eps = 1e-2f;
        p[i] = saved + eps;
        double plus = pass.evaluate(model, batch).objective(HEAD_WEIGHTS);
        p[i] = saved - eps;
        double minus = pass.evaluate(model, batch).objective(HEAD_WEIGHTS);
        p[i] = saved;
        return (plus - minus) / (2.0 * eps);
    }

    /** Random inputs and targets, with one row that has no target for the second head (a sequence end). */
    private static HeadBatch randomBatch(ModelConfig config, int heads, int rows, long seed) {
        Random random = new Random(seed);
        HeadBatch batch = new HeadBatch(rows, config.hiddenSize(), heads);
        for (int i = 0; i < rows * config.hiddenSize(); i++) {
            batch.hidden[i] = (float) random.nextGaussian();
        }
        for (int k = 0; k < heads; k++) {
            for (int r = 0; r < rows; r++) {
                batch.targets[k][r] = random.nextInt(config.vocabSize());
            }
        }
        for (int r = 0; r < rows; r++) {
            batch.nextTokens[r] = random.nextInt(config.vocabSize());
        }
        batch.targets[1][rows - 1] = -1;
        batch.size = rows;
        return batch;
    }
}
