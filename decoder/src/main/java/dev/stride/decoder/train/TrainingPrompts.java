package dev.stride.decoder.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads prompt text files: {@code .jsonl} with a "prompt" string per line, or plain text with one prompt per line.
 * Parquet needs a Parquet reader the decoder does not carry; the Spark job converts such files to JSONL.
 */
public final class TrainingPrompts {

    private TrainingPrompts() {
    }

    public static List<String> read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet")) {
            throw new IllegalArgumentException(file + ": Parquet prompts are not read here; convert them to JSONL"
                    + " ({\"prompt\": ...} per line) with the Spark job's sample converter first");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read prompts: " + e, e);
        }
        boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".json");
        ObjectMapper json = new ObjectMapper();
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            if (!jsonl) {
                prompts.add(line);
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (IOException e) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": not JSON: " + e.getMessage(), e);
            }
            if (!node.path("prompt").isTextual() || node.get("prompt").asText().isEmpty()) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected a non-empty \"prompt\" string");
            }
            prompts.add(node.get("prompt").asText());
        }
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException(file + ": no prompts in the file");
        }
        return prompts;
    }
}
