package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.StaticTree;
import dev.stride.decoder.mtp.TreeShape;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole decodes over BF16 panels and 8-bit panels (the layouts of bandwidth-bound BF16 models, too large for a unit
 * test at their real size, so forced here on a tiny one): single-row passes widen in registers, wider ones through
 * scratch (BF16) or two-row blocks (q8), and multi-token decoding must still equal plain decoding token for token at
 * every batch size.
 */
class Bf16PanelDecodingTest {

    @ParameterizedTest
    @EnumSource(value = WeightLayout.class, names = {"PACKED_BFLOAT16", "Q8"})
    void multiTokenEqualsPlainOnBf16Panels(WeightLayout layout, @TempDir Path dir) {
        ModelConfig config = TinyModels.llama();
        ModelWeights random = TinyModels.weights(config, 77);
        ModelDirs.write(dir, config, random, DType.BF16);
        try (TensorStore store = TensorStore.openDirectory(dir); ComputePool pool = new ComputePool(2)) {
            ModelWeights weights = ModelLoader.weights(config, store, layout);
            Class<?> held = layout == WeightLayout.Q8 ? PackedQ8Matrix.class : PackedHalfMatrix.class;
            assertInstanceOf(held, weights.lmHead());
            Transformer transformer = TestDecoders.transformer(config, weights, pool);
            MedusaHeads heads = TinyModels.heads(config, weights, 3, 1, 5);
            Random requestsRandom = new Random(6);
            for (int round = 0; round < 3; round++) {
                List<GenerationRequest> requests = MultiTokenEquivalenceTest.randomRequests(requestsRandom, config, 7);
                List<GenerationResult> plain = TestDecoders.run(TestDecoders.decoder(transformer, null, Set.of(), 1),
                        requests);
                List<GenerationResult> plainBatched = TestDecoders.run(
                        TestDecoders.decoder(transformer, null, Set.of(), 5), requests);
                MultiTokenEquivalenceTest.assertSameOutputs(plain, plainBatched, "plain, batch 5 vs 1");
                for (TreeShape shape : new TreeShape[] {StaticTree.chain(3), TreeSpecs.parse("nodes:9", 3, null)}) {
                    for (int maxBatch : new int[] {1, 4}) {
                        MedusaDrafter drafter = new MedusaDrafter(heads, shape, new VectorOps(pool));
                        List<GenerationResult> multi = TestDecoders.run(
                                TestDecoders.decoder(transformer, drafter, Set.of(), maxBatch), requests);
                        MultiTokenEquivalenceTest.assertSameOutputs(plain, multi,
                                shape.describe() + ", batch " + maxBatch);
                    }
                }
                assertEquals(7, plain.size());
            }
        }
    }
}
