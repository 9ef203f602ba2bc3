package dev.stride.decoder.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The tokenizer-related JSON files of a Hugging Face model directory. Every file is parsed here, so a broken
 * one is reported with its path before any native code sees it.
 */
final class ModelFiles {

    static final String TOKENIZER = "tokenizer.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String GENERATION_CONFIG = "generation_config.json";
    /** The chat template as a file of its own, which transformers 4.47 and later write and prefer. */
    static final String CHAT_TEMPLATE = "chat_template.jinja";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The model directory the files are read from. */
    final Path dir;
    final String tokenizerText;
    final JsonNode tokenizer;
    /** Empty object when the file is absent. */
    final JsonNode config;
    /** Empty object when the file is absent. */
    final JsonNode generationConfig;
    /** The text of {@link #CHAT_TEMPLATE}, when the directory has one. */
    final Optional<String> chatTemplateFile;

    private ModelFiles(Path dir, String tokenizerText, JsonNode tokenizer, JsonNode config,
                       JsonNode generationConfig, Optional<String> chatTemplateFile) {
        this.dir = dir;
        this.tokenizerText = tokenizerText;
        this.tokenizer = tokenizer;
        this.config = config;
        this.generationConfig = generationConfig;
        this.chatTemplateFile = chatTemplateFile;
    }

    static ModelFiles read(Path modelDir) {
        Path tokenizerPath = modelDir.resolve(TOKENIZER);
        String text = readText(tokenizerPath)
                .orElseThrow(() -> new TokenizerException("tokenizer file not found: " + tokenizerPath));
        return new ModelFiles(modelDir, text, parse(tokenizerPath, text),
                readOptional(modelDir.resolve(TOKENIZER_CONFIG)),
                readOptional(modelDir.resolve(GENERATION_CONFIG)), readText(modelDir.resolve(CHAT_TEMPLATE)));
    }

    /** Id of a token string: added tokens first (they shadow the model vocabulary), then the model vocabulary. */
    OptionalInt idOf(String token) {
        for (JsonNode added : tokenizer.path("added_tokens")) {
            if (token.equals(added.path("content").asText(null))) {
                return OptionalInt.of(added.path("id").asInt());
            }
        }
        JsonNode id = tokenizer.path("model").path("vocab").path(token);
        return id.isInt() ? OptionalInt.of(id.asInt()) : OptionalInt.empty();
    }

    Set<Integer> specialIds() {
        Set<Integer> ids = new HashSet<>();
        for (JsonNode added : tokenizer.path("added_tokens")) {
            if (added.path("special").asBoolean(false)) {
                ids.add(added.path("id").asInt());
            }
        }
        return ids;
    }

    /** One more than the largest id in the model vocabulary or the added tokens. */
    int vocabSize() {
        int max = -1;
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.isArray()) {
            // Unigram: a list of [piece, score], the id is the position.
            max = vocab.size() - 1;
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                max = Math.max(max, it.next().getValue().asInt());
            }
        }
        for (JsonNode added : tokenizer.path("added_tokens")) {
            max = Math.max(max, added.path("id").asInt());
        }
        return max + 1;
    }

    /** A special token in tokenizer_config.json: either a plain string or an AddedToken object with "content". */
    Optional<String> configToken(String key) {
        JsonNode node = config.path(key);
        if (node.isTextual()) {
            return Optional.of(node.asText());
        }
        JsonNode content = node.path("content");
        return content.isTextual() ? Optional.of(content.asText()) : Optional.empty();
    }

    private static JsonNode readOptional(Path path) {
        return readText(path).map(text -> parse(path, text)).orElseGet(JSON::createObjectNode);
    }

    private static Optional<String> readText(Path path) {
        try {
            return Optional.of(Files.readString(path, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode parse(Path path, String text) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || !node.isObject()) {
                throw new TokenizerException("invalid JSON in " + path + ": expected an object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new TokenizerException("invalid JSON in " + path + ": " + e.getOriginalMessage(), e);
        }
    }
}
