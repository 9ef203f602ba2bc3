package dev.stride.decoder.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The bundled fortunes-llama-2m model and its float32 PyTorch reference continuations. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path modelDir() {
        String dir = System.getProperty("stride.fixture.dir", "../models/fortunes-llama-2m");
        return Path.of(dir);
    }

    /** One line of references.jsonl. */
    public record Reference(String prompt, int[] promptIds, int[] greedyIds) {
    }

    public static List<Reference> references() {
        ObjectMapper json = new ObjectMapper();
        List<Reference> references = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(modelDir().resolve("references.jsonl"))) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node = json.readTree(line);
                references.add(new Reference(node.get("prompt").asText(), ints(node.get("prompt_ids")),
                        ints(node.get("greedy_ids"))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return references;
    }

    private static int[] ints(JsonNode array) {
        int[] values = new int[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).asInt();
        }
        return values;
    }
}
