package dev.stride.job;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.HeadsWriter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.tensor.ArrayMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.nio.file.Path;
import java.util.Random;

/**
 * Untrained prediction heads for the fixture model, written as a Medusa heads directory. Each head's projection is
 * the model's own output head plus noise, so some drafts are accepted and multi-token passes actually happen.
 */
public final class TestHeads {

    private TestHeads() {
    }

    static Path write(Path dir, int numHeads) {
        return write(dir, numHeads, 7);
    }

    /** Heads whose noise comes from {@code seed}: another seed, other weights of the same shape. */
    public static Path write(Path dir, int numHeads, long seed) {
        Random random = new Random(seed);
        try (Engine engine = Engine.load(EngineOptions.cpu(JobRuns.FIXTURE, null))) {
            ModelWeights weights = engine.model().weights();
            int hidden = engine.model().config().hiddenSize();
            int vocab = engine.model().config().vocabSize();
            WeightMatrix[][] blocks = new WeightMatrix[numHeads][1];
            float[][][] biases = new float[numHeads][1][hidden];
            WeightMatrix[] projections = new WeightMatrix[numHeads];
            float[] row = new float[hidden];
            for (int k = 0; k < numHeads; k++) {
                blocks[k][0] = new ArrayMatrix(hidden, hidden);
                float[] projection = new float[vocab * hidden];
                for (int v = 0; v < vocab; v++) {
                    weights.lmHead().loadRow(v, row);
                    for (int i = 0; i < hidden; i++) {
                        projection[v * hidden + i] = row[i] + 0.02f * (float) random.nextGaussian();
                    }
                }
                projections[k] = new ArrayMatrix(projection, vocab, hidden);
            }
            HeadsWriter.write(new MedusaHeads("test-heads", blocks, biases, projections), dir,
                    JobRuns.FIXTURE.getFileName().toString(), DType.F32);
        }
        return dir;
    }
}
