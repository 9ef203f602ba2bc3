package dev.stride.decoder.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.TextLines;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads prompt text files: {@code .jsonl} with a "prompt" string per line, or plain text with one prompt per line.
 * Parquet needs a Parquet reader the decoder does not carry: such files are converted to JSONL first (Spark's JSON
 * writer writes one object per line into part files named {@code *.json}, which read as JSONL here).
 */
public final class TrainingPrompts {

    private TrainingPrompts() {
    }

    public static List<String> read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".parquet")) {
            throw new IllegalArgumentException(file + ": Parquet prompts are not read here; convert them to JSONL"
                    + " ({\"prompt\": ...} per line) first, e.g. with Spark: spark.read.parquet(FILE)"
                    + ".select(\"prompt\").coalesce(1).write.json(DIR) writes DIR/part-*.json");
        }
        List<String> lines = TextLines.read(file);
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

    /**
     * The prompts as token ids, each between 1 and the context length minus 2 tokens (an error names the file and
     * the prompt otherwise); BOS alone where there are none (no prompts file).
     */
    public static List<int[]> tokenize(Engine engine, List<String> texts, Path source) {
        List<int[]> ids = new ArrayList<>();
        int context = engine.contextLength();
        for (String text : texts) {
            int[] tokens = engine.tokenizer().encode(text);
            if (tokens.length == 0 || tokens.length >= context - 1) {
                throw new IllegalArgumentException(source + ": prompt '" + abbreviate(text) + "' has " + tokens.length
                        + " tokens; it must have between 1 and " + (context - 2));
            }
            ids.add(tokens);
        }
        if (ids.isEmpty()) {
            int bos = engine.tokenizer().bosId().orElseThrow(() -> new IllegalArgumentException(
                    "the tokenizer has no BOS token to start from: give --prompts"));
            ids.add(new int[] {bos});
        }
        return ids;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
