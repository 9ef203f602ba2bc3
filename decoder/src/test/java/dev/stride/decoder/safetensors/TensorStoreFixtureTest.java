package dev.stride.decoder.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reads the bundled checkpoint, written by PyTorch's safetensors, against values read independently with Python. */
class TensorStoreFixtureTest {

    @Test
    void readsTheBundledModel() {
        String fixture = System.getProperty("stride.fixture.dir");
        assumeTrue(fixture != null, "stride.fixture.dir is set by the Maven build");
        try (TensorStore store = TensorStore.openDirectory(Path.of(fixture))) {
            assertEquals(38, store.names().size());
            assertEquals(Map.of("format", "pt"), store.metadata());
            assertEquals(DType.F16, store.require("model.embed_tokens.weight", 2048, 192).dtype());
            long parameters = store.names().stream().mapToLong(name -> store.info(name).elementCount()).sum();
            assertEquals(1_967_808, parameters); // as stated in the model's README

            float[] norm = store.readFloats("model.norm.weight");
            assertEquals(192, norm.length);
            assertArrayEquals(new float[] {1.4853515625f, 1.41015625f, 1.4423828125f, 1.47265625f},
                    Arrays.copyOf(norm, 4));
            // Row 5, column 7 of the embedding.
            short embedding = store.data("model.embed_tokens.weight").getShort(2 * (192 * 5 + 7));
            assertEquals(0.1258544921875f, HalfFloats.f16ToF32(embedding));
        }
    }
}
