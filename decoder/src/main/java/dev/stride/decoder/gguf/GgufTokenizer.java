package dev.stride.decoder.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The tokenizer a GGUF file carries in its metadata ({@code tokenizer.ggml.*}), as the Hugging Face files Stride
 * reads: {@code tokenizer.json}, {@code tokenizer_config.json} and the special-token ids of
 * {@code generation_config.json}. Byte-level BPE vocabularies ({@code tokenizer.ggml.model = gpt2}) carry their
 * tokens and merges whole, so they convert exactly given the pre-tokenizer that {@code tokenizer.ggml.pre} names:
 * GPT-2's ({@code gpt-2}), Llama 3's ({@code llama-bpe}) and Qwen2's ({@code qwen2}, with its NFC normalizer) are
 * rebuilt. SentencePiece vocabularies ({@code llama}) carry scores, not the merges a Hugging Face tokenizer needs,
 * and llama.cpp's {@code default} (or a missing name, which old converters wrote for tokenizers they did not
 * recognise) is its own regex chain, so for those the import asks for the model's own tokenizer files instead of
 * guessing. BOS, EOS and the end-of-turn tokens come from the metadata either way.
 */
final class GgufTokenizer {

    /** ggml token types: 3 marks control tokens (BOS, EOS, chat markers), 4 user-defined added tokens. */
    private static final long CONTROL = 3, USER_DEFINED = 4;

    /** Pre-tokenizer names llama.cpp gives Llama 3's split; it adds BOS by default for them. */
    private static final Set<String> LLAMA3_PRE = Set.of("llama-bpe", "llama3", "llama-v3");
    private static final Set<String> GPT2_PRE = Set.of("gpt-2", "gpt2");

    /** Llama 3's pre-tokenizer split: contractions, letter runs, digits in threes, punctuation, line breaks, spaces. */
    static final String LLAMA3_SPLIT = split("\\p{N}{1,3}");
    /** Qwen2's: Llama 3's with digits one at a time. */
    static final String QWEN2_SPLIT = split("\\p{N}");

    /**
     * Tokens that end generation, which llama.cpp stops at by their text whatever their type, even where no
     * *_token_id key names them (its llama-vocab end-of-generation list).
     */
    private static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>",
            "<|return|>", "<|call|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>", "<|end_of_text|>",
            "<end_of_utterance>");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static String split(String digits) {
        return "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|" + digits
                + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    }

    private final GgufFile gguf;
    private final List<String> tokens;
    private final long[] types;
    private final String pre;

    GgufTokenizer(GgufFile gguf, int modelVocab) {
        this.gguf = gguf;
        this.tokens = strings("tokenizer.ggml.tokens");
        if (tokens.size() > modelVocab) {
            throw new GgufException(gguf.path() + ": tokenizer.ggml.tokens holds " + tokens.size() + " tokens but"
                    + " token_embd.weight has only " + modelVocab + " rows");
        }
        List<?> typeList = gguf.optional("tokenizer.ggml.token_type", List.class).orElse(List.of());
        this.types = new long[tokens.size()];
        for (int id = 0; id < Math.min(typeList.size(), types.length); id++) {
            if (!(typeList.get(id) instanceof Long type)) {
                throw new GgufException(gguf.path() + ": metadata 'tokenizer.ggml.token_type' must hold integers");
            }
            types[id] = type;
        }
        this.pre = gguf.optional("tokenizer.ggml.pre", String.class).orElse("(none)");
    }

    /** tokenizer.json: a byte-level BPE model with the file's vocabulary, merges and control tokens. */
    ObjectNode tokenizerJson() {
        String model = gguf.require("tokenizer.ggml.model", String.class);
        if (!model.equals("gpt2")) {
            throw new GgufException(gguf.path() + ": tokenizer.ggml.model '" + model + "' (SentencePiece and others)"
                    + " cannot be rebuilt exactly from GGUF metadata; pass --tokenizer DIR, a directory with the"
                    + " model's Hugging Face tokenizer.json (and tokenizer_config.json)");
        }
        ObjectNode root = NODES.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < tokens.size(); id++) {
            if (types[id] == CONTROL || types[id] == USER_DEFINED) {
                added.addObject().put("id", id).put("content", tokens.get(id)).put("single_word", false)
                        .put("lstrip", false).put("rstrip", false).put("normalized", false)
                        .put("special", types[id] == CONTROL);
            }
        }
        if (pre.equals("qwen2")) {
            root.putObject("normalizer").put("type", "NFC");
        } else {
            root.putNull("normalizer");
        }
        root.set("pre_tokenizer", preTokenizer());
        root.set("post_processor", postProcessor());
        root.set("decoder", byteLevel(true, true, true));
        ObjectNode bpe = root.putObject("model");
        bpe.put("type", "BPE");
        bpe.putNull("dropout");
        bpe.putNull("unk_token");
        bpe.putNull("continuing_subword_prefix");
        bpe.putNull("end_of_word_suffix");
        bpe.put("fuse_unk", false);
        bpe.put("byte_fallback", false);
        // Llama 3 takes a word that is a token whole before merging (llama.cpp does the same for it).
        bpe.put("ignore_merges", LLAMA3_PRE.contains(pre));
        ObjectNode vocab = bpe.putObject("vocab");
        for (int id = 0; id < tokens.size(); id++) {
            if (vocab.has(tokens.get(id))) {
                throw new GgufException(gguf.path() + ": tokenizer.ggml.tokens holds '" + tokens.get(id)
                        + "' twice (second at id " + id + ")");
            }
            vocab.put(tokens.get(id), id);
        }
        ArrayNode merges = bpe.putArray("merges");
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
        config.put("add_bos_token", addBos());
        config.put("add_eos_token", gguf.optional("tokenizer.ggml.add_eos_token", Boolean.class).orElse(false));
        gguf.optional("tokenizer.chat_template", String.class).ifPresent(t -> config.put("chat_template", t));
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        return config;
    }

    /** generation_config.json: BOS, and every id that ends generation: EOS, end of turn, end of message. */
    ObjectNode generationConfig() {
        ObjectNode generation = NODES.objectNode();
        tokenId("tokenizer.ggml.bos_token_id").ifPresent(id -> generation.put("bos_token_id", id));
        Set<Integer> ends = new LinkedHashSet<>();
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                "tokenizer.ggml.eom_token_id")) {
            tokenId(key).ifPresent(ends::add);
        }
        for (int id = 0; id < tokens.size(); id++) {
            if (END_OF_TURN.contains(tokens.get(id))) {
                ends.add(id);
            }
        }
        if (!ends.isEmpty()) {
            ArrayNode eos = generation.putArray("eos_token_id");
            ends.forEach(eos::add);
        }
        return generation;
    }

    /** The file's add_bos_token, else llama.cpp's default: BOS for Llama 3's vocabulary, none for other BPE ones. */
    private boolean addBos() {
        return gguf.optional("tokenizer.ggml.add_bos_token", Boolean.class).orElse(LLAMA3_PRE.contains(pre));
    }

    private ObjectNode preTokenizer() {
        if (GPT2_PRE.contains(pre)) {
            return byteLevel(false, true, true);
        }
        if (LLAMA3_PRE.contains(pre) || pre.equals("qwen2")) {
            ObjectNode sequence = NODES.objectNode().put("type", "Sequence");
            ArrayNode steps = sequence.putArray("pretokenizers");
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", pre.equals("qwen2") ? QWEN2_SPLIT : LLAMA3_SPLIT);
            split.put("behavior", "Isolated").put("invert", false);
            steps.add(byteLevel(false, true, false));
            return sequence;
        }
        throw new GgufException(gguf.path() + ": tokenizer.ggml.pre '" + pre + "' is a pre-tokenizer Stride does"
                + " not rebuild (it knows gpt-2, llama-bpe and qwen2); pass --tokenizer DIR with the model's Hugging"
                + " Face tokenizer.json");
    }

    /**
     * Byte-level offsets, then BOS in front of and EOS after every sequence where the vocabulary adds them, as
     * llama.cpp's tokenizer does with {@code add_bos_token} and {@code add_eos_token}.
     */
    private ObjectNode postProcessor() {
        ObjectNode byteLevel = byteLevel(false, false, true);
        Optional<Integer> bos = addBos() ? tokenId("tokenizer.ggml.bos_token_id") : Optional.empty();
        Optional<Integer> eos = Optional.empty();
        if (gguf.optional("tokenizer.ggml.add_eos_token", Boolean.class).orElse(false)) {
            eos = Optional.of(tokenId("tokenizer.ggml.eos_token_id").orElseThrow(() -> new GgufException(gguf.path()
                    + ": tokenizer.ggml.add_eos_token is set but there is no tokenizer.ggml.eos_token_id")));
        }
        if (bos.isEmpty() && eos.isEmpty()) {
            return byteLevel;
        }
        ObjectNode template = NODES.objectNode().put("type", "TemplateProcessing");
        template.set("single", framed(bos, "A", 0, eos));
        template.set("pair", framed(bos, "A", 0, eos).addAll(framed(bos, "B", 1, eos)));
        ObjectNode specials = template.putObject("special_tokens");
        for (Optional<Integer> id : List.of(bos, eos)) {
            id.ifPresent(i -> {
                ObjectNode entry = specials.putObject(tokens.get(i));
                entry.put("id", tokens.get(i));
                entry.putArray("ids").add(i);
                entry.putArray("tokens").add(tokens.get(i));
            });
        }
        ObjectNode processors = NODES.objectNode().put("type", "Sequence");
        processors.putArray("processors").add(byteLevel).add(template);
        return processors;
    }

    /** Sequence {@code id} of a template, between BOS and EOS where present. */
    private ArrayNode framed(Optional<Integer> bos, String id, int typeId, Optional<Integer> eos) {
        ArrayNode items = NODES.arrayNode();
        bos.ifPresent(i -> items.add(special(tokens.get(i), typeId)));
        items.add(sequence(id, typeId));
        eos.ifPresent(i -> items.add(special(tokens.get(i), typeId)));
        return items;
    }

    private static ObjectNode special(String token, int typeId) {
        ObjectNode node = NODES.objectNode();
        node.putObject("SpecialToken").put("id", token).put("type_id", typeId);
        return node;
    }

    private static ObjectNode sequence(String id, int typeId) {
        ObjectNode node = NODES.objectNode();
        node.putObject("Sequence").put("id", id).put("type_id", typeId);
        return node;
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
