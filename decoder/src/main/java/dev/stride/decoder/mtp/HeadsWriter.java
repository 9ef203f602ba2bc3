package dev.stride.decoder.mtp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes heads in the FasterDecoding Medusa layout, which {@link HeadsLoader} and other Medusa tools read. Heads
 * with a shared projection are written without projections, and heads with token input with their input matrices;
 * their config says so (Stride extensions).
 */
public final class HeadsWriter {

    private HeadsWriter() {
    }

    public static void write(MedusaHeads heads, Path dir, String baseModel, DType dtype) {
        if (heads.draftIds() != null) {
            throw new IllegalArgumentException("heads " + heads.name() + " project onto a draft vocabulary: write the"
                    + " heads with their whole projections, and the vocabulary with DraftVocabulary.write");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ModelException(dir + ": cannot create the heads directory: " + e.getMessage(), e);
        }
        if (!Files.isWritable(dir)) {
            throw new ModelException(dir + ": heads directory is not writable");
        }
        int h = heads.hiddenSize();
        SafetensorsWriter writer = new SafetensorsWriter();
        for (int k = 0; k < heads.numHeads(); k++) {
            for (int l = 0; l < heads.numLayers(); l++) {
                writer.putFloats(k + "." + l + ".linear.weight", dtype, new long[] {h, h},
                        heads.blocks()[k][l].toFloats());
                writer.putFloats(k + "." + l + ".linear.bias", dtype, new long[] {h}, heads.biases()[k][l]);
            }
            if (heads.tokenInput() != null) {
                writer.putFloats(k + "." + MedusaHeads.TOKEN_INPUT, dtype, new long[] {h, h},
                        heads.tokenInput().matrices()[k].toFloats());
            }
            if (!heads.sharedProjection()) {
                writer.putFloats(k + "." + heads.numLayers() + ".weight", dtype,
                        new long[] {heads.vocabSize(), h}, heads.projections()[k].toFloats());
            }
        }
        writer.metadata("format", "pt");
        writer.write(dir.resolve(HeadsLoader.WEIGHTS_FILE));
        ObjectNode config = new ObjectMapper().createObjectNode();
        config.put("medusa_num_heads", heads.numHeads());
        config.put("medusa_num_layers", heads.numLayers());
        config.put("base_model_name_or_path", baseModel);
        config.put("hidden_size", h);
        config.put("vocab_size", heads.vocabSize());
        if (heads.sharedProjection()) {
            config.put(HeadsLoader.SHARED_PROJECTION, true);
        }
        if (heads.tokenInput() != null) {
            config.put(HeadsLoader.TOKEN_INPUT, true);
        }
        try {
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        } catch (IOException e) {
            throw new ModelException(dir.resolve("config.json") + ": cannot write: " + e.getMessage(), e);
        }
    }
}
