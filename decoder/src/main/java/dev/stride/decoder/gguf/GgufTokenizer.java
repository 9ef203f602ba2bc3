package dev.stride.decoder.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The tokenizer a GGUF file carries in its metadata ({@code tokenizer.ggml.*}), as the Hugging Face files Stride
 * reads: {@code tokenizer.json}, {@code tokenizer_config.json} and the special-token ids of
 * {@code generation_config.json}. Byte-level BPE vocabularies ({@code tokenizer.ggml.model = gpt2}: GPT-2, Llama 3
 * and their kin) carry their tokens and merges whole, so they convert exactly, given the pre-tokenizer that
 * {@code tokenizer.ggml.pre} names; SentencePiece vocabularies ({@code llama}) carry scores, not the merges a
 * Hugging Face tokenizer needs, so for those (and unknown pre-tokenizers) the import asks for the model's own
 * tokenizer files instead of guessing.
 */
final class GgufTokenizer {

    /** ggml token types: 3 marks control tokens (BOS, EOS, chat markers), 4 user-defined added tokens. */
    private static final long CONTROL = 3, USER_DEFINED = 4;

    /** Llama 3's pre-tokenizer split: contractions, letter runs, digits in threes, punctuation, line breaks, spaces. */
    static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final GgufFile gguf;
    private final List<String> tokens;

    GgufTokenizer(GgufFile gguf) {
        this.gguf = gguf;
        String model = gguf.require("tokenizer.ggml.model", String.class);
        if (!model.equals("gpt2")) {
            throw new GgufException(gguf.path() + ": tokenizer.ggml.model '" + model + "' (SentencePiece and others)"
                    + " cannot be rebuilt exactly from GGUF metadata; pass --tokenizer DIR, a directory with the"
                    + " model's Hugging Face tokenizer.json (and tokenizer_config.json)");
        }
        this.tokens = strings("tokenizer.ggml.tokens");
    }

    int vocabSize() {
        return tokens.size();
    }

    /** tokenizer.json: a byte-level BPE model with the file's vocabulary, merges and control tokens. */
    ObjectNode tokenizerJson() {
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<?> types = gguf.optional("tokenizer.ggml.token_type", List.class).orElse(List.of());
        for (int id = 0; id < Math.min(types.size(), tokens.size()); id++) {
            if (!(types.get(id) instanceof Long type)) {
                throw new GgufException(gguf.path() + ": metadata 'tokenizer.ggml.token_type' must hold integers");
            }
            if (type == CONTROL || type == USER_DEFINED) {
                added.addObject().put("id", id).put("content", tokens.get(id)).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false)
                        .put("special", type == CONTROL);
            }
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizer());
        root.set("post_processor", byteLevel(false, false, true));
        root.set("decoder", byteLevel(true, true, true));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (!seen.add(tokens.get(id))) {
                throw new GgufException(gguf.path() + ": tokenizer.ggml.tokens holds '" + tokens.get(id)
                        + "' twice (second at id " + id + ")");
            }
            vocab.put(tokens.get(id), id);
        }
        ArrayNode merges = model.putArray("merges");
        strings("tokenizer.ggml.merges").forEach(merges::add);
        return root;
    }

    /** tokenizer_config.json: BOS/EOS by name, whether to add them, and the chat template. */
    ObjectNode tokenizerConfig() {
        ObjectNode config = NODES.objectNode();
        tokenId("tokenizer.ggml.bos_token_id").ifPresent(id -> config.put("bos_token", tokens.get(id)));
        tokenId("tokenizer.ggml.eos_token_id").ifPresent(id -> config.put("eos_token", tokens.get(id)));
        tokenId("tokenizer.ggml.unknown_token_id").ifPresent(id -> config.put("unk_token", tokens.get(id)));
        tokenId("tokenizer.ggml.padding_token_id").ifPresent(id -> config.put("pad_token", tokens.get(id)));
        // llama.cpp's default for BPE vocabularies: no BOS unless the file asks for it.
        config.put("add_bos_token", gguf.optional("tokenizer.ggml.add_bos_token", Boolean.class).orElse(false));
        config.put("add_eos_token", gguf.optional("tokenizer.ggml.add_eos_token", Boolean.class).orElse(false));
        gguf.optional("tokenizer.chat_template", String.class).ifPresent(t -> config.put("chat_template", t));
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        return config;
    }

    /** generation_config.json: BOS, and EOS plus end-of-turn (chat models stop at either). */
    ObjectNode generationConfig() {
        ObjectNode generation = NODES.objectNode();
        tokenId("tokenizer.ggml.bos_token_id").ifPresent(id -> generation.put("bos_token_id", id));
        Set<Integer> ends = new LinkedHashSet<>();
        tokenId("tokenizer.ggml.eos_token_id").ifPresent(ends::add);
        tokenId("tokenizer.ggml.eot_token_id").ifPresent(ends::add);
        if (!ends.isEmpty()) {
            ArrayNode eos = generation.putArray("eos_token_id");
            ends.forEach(eos::add);
        }
        return generation;
    }

    private ObjectNode preTokenizer() {
        String pre = gguf.optional("tokenizer.ggml.pre", String.class).orElse("default");
        switch (pre) {
            case "default", "gpt2", "gpt-2":
                return byteLevel(false, true, true);
            case "llama-bpe", "llama3", "llama-v3": {
                ObjectNode sequence = NODES.objectNode().put("type", "Sequence");
                ArrayNode steps = sequence.putArray("pretokenizers");
                ObjectNode split = steps.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", LLAMA3_SPLIT);
                split.put("behavior", "Isolated").put("invert", false);
                steps.add(byteLevel(false, true, false));
                return sequence;
            }
            default:
                throw new GgufException(gguf.path() + ": tokenizer.ggml.pre '" + pre + "' is a pre-tokenizer Stride"
                        + " does not rebuild (it knows default/gpt2 and llama-bpe); pass --tokenizer DIR with the"
                        + " model's Hugging Face tokenizer.json");
        }
    }

    private static ObjectNode byteLevel(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        return NODES.objectNode().put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", trimOffsets).put("use_regex", useRegex);
    }

    private Optional<Integer> tokenId(String key) {
        return gguf.optionalInt(key).map(id -> {
            if (id >= tokens.size()) {
                throw new GgufException(gguf.path() + ": " + key + " = " + id + " is not a token id (vocabulary of "
                        + tokens.size() + ")");
            }
            return id;
        });
    }

    private List<String> strings(String key) {
        List<?> list = gguf.require(key, List.class);
        for (Object o : list) {
            if (!(o instanceof String)) {
                throw new GgufException(gguf.path() + ": metadata '" + key + "' must be an array of strings");
            }
        }
        @SuppressWarnings("unchecked")
        List<String> strings = (List<String>) list;
        return strings;
    }
}
