package dev.stride.decoder.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.mtp.HeadsLoader;
import dev.stride.decoder.testing.CliRuns;
import dev.stride.decoder.testing.Fixtures;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train-heads --token-input} end to end on the demo model. */
class TokenInputTrainingTest {

    /**
     * The saved heads say so in config.json, and the engine that measures them for the report (it loads the saved
     * heads beside the model) decodes exactly as plain decoding does.
     */
    @Test
    void tokenInputHeadsAreSavedAndDecodeAsPlainDecodingDoes(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("heads");
        CliRuns.expecting(0, "train-heads", "--model", Fixtures.modelDir().toString(), "--out", out.toString(),
                "--heads", "2", "--samples", "6", "--max-new-tokens", "12", "--steps", "6", "--batch-size", "16",
                "--dtype", "F32", "--eval-max-new-tokens", "8", "--eval-tree", "chain:2", "--threads", "1",
                "--token-input");
        ObjectMapper json = new ObjectMapper();
        assertTrue(json.readTree(out.resolve("config.json").toFile()).path(HeadsLoader.TOKEN_INPUT).asBoolean());
        JsonNode tree = json.readTree(out.resolve(TrainingReport.FILE).toFile()).path("engine").path("trees").get(0);
        assertEquals("chain:2", tree.path("tree").asText());
        assertTrue(tree.path("identical_to_plain").asBoolean(), tree.toString());
        assertTrue(tree.path("decode_passes").asInt() > 0, tree.toString());
    }
}
