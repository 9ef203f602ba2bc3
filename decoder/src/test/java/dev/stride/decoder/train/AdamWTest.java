package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.testing.TinyModels;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** AdamW's decoupled weight decay: which tensors it shrinks. */
class AdamWTest {

    /**
     * With zero gradients an update is the decay alone. It shrinks the residual blocks' matrices (they start at zero)
     * and leaves biases and the projections (copies of the lm_head) as they are: it decayed the projections too.
     */
    @ParameterizedTest(name = "layers: {0}")
    @ValueSource(ints = {0, 1, 2})
    void weightDecayShrinksTheBlockMatricesOnly(int layers) {
        ModelConfig config = TinyModels.config(Architecture.LLAMA, 8, 2, 1, 1, 11, 32, 0);
        HeadModel model = TrainingFixtures.randomHeads(config, 2, layers, 3);
        List<float[]> before = model.tensors().stream().map(float[]::clone).toList();
        List<String> names = model.tensorNames();
        try (ComputePool pool = new ComputePool(1)) {
            new AdamW(pool, model, 0.5).step(model, HeadModel.zerosLike(model), 0.1, 1);
        }
        for (int i = 0; i < before.size(); i++) {
            float[] expected = before.get(i).clone();
            if (names.get(i).endsWith(".linear.weight")) {
                for (int j = 0; j < expected.length; j++) {
                    expected[j] *= (float) (1 - 0.1 * 0.5);
                }
            }
            assertArrayEquals(expected, model.tensors().get(i), names.get(i));
        }
        assertEquals(2 * (2 * layers + 1), names.size(), "blocks, biases and projections of two heads");
    }
}
