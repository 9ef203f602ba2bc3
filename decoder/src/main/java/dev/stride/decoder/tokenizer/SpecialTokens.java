package dev.stride.decoder.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/**
 * BOS/EOS configuration and the ids that decoding skips.
 *
 * @param bosId the beginning-of-sequence id, if the model has one
 * @param addBos tokenizer_config.json asks for BOS in front of every prompt
 * @param eosIds every id that ends generation
 * @param specialIds ids that decoding skips, as transformers' skip_special_tokens does
 */
record SpecialTokens(OptionalInt bosId, boolean addBos, Set<Integer> eosIds, Set<Integer> specialIds) {

    SpecialTokens {
        eosIds = Set.copyOf(eosIds);
        specialIds = Set.copyOf(specialIds);
    }

    static SpecialTokens from(ModelFiles files) {
        OptionalInt bos = files.configToken("bos_token").map(files::idOf).orElse(OptionalInt.empty());
        JsonNode generationBos = files.generationConfig.path("bos_token_id");
        if (!generationBos.isMissingNode() && !generationBos.isNull() && !generationBos.isInt()) {
            throw notTokenIds(files, "bos_token_id", "a token id", generationBos);
        }
        if (bos.isEmpty() && generationBos.isInt()) {
            bos = OptionalInt.of(generationBos.asInt());
        }
        boolean addBos = files.config.path("add_bos_token").asBoolean(false);
        return new SpecialTokens(bos, addBos, eosIds(files), specialIds(files));
    }

    boolean isSpecial(int id) {
        return specialIds.contains(id);
    }

    /** generation_config.json eos_token_id (an int or a list) plus tokenizer_config.json eos_token. */
    private static Set<Integer> eosIds(ModelFiles files) {
        Set<Integer> ids = new HashSet<>();
        JsonNode generationEos = files.generationConfig.path("eos_token_id");
        if (generationEos.isInt()) {
            ids.add(generationEos.asInt());
        } else if (generationEos.isArray()) {
            for (JsonNode id : generationEos) {
                if (!id.isInt()) {
                    throw notTokenIds(files, "eos_token_id", "a token id or a list of them", generationEos);
                }
                ids.add(id.asInt());
            }
        } else if (!generationEos.isMissingNode() && !generationEos.isNull()) {
            throw notTokenIds(files, "eos_token_id", "a token id or a list of them", generationEos);
        }
        files.configToken("eos_token").map(files::idOf).ifPresent(id -> id.ifPresent(ids::add));
        return ids;
    }

    /**
     * transformers registers tokenizer_config.json's special tokens with the native tokenizer on load, so they are
     * skipped on decode even when tokenizer.json does not flag them special.
     */
    private static Set<Integer> specialIds(ModelFiles files) {
        Set<Integer> ids = files.specialIds();
        for (String key : new String[] {"bos_token", "eos_token", "unk_token", "pad_token"}) {
            files.configToken(key).map(files::idOf).ifPresent(id -> id.ifPresent(ids::add));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = files.config.path("added_tokens_decoder").fields();
                it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getValue().path("special").asBoolean(false)) {
                ids.add(addedTokenId(files, entry.getKey()));
            }
        }
        return ids;
    }

    /**
     * A generation_config.json id of the wrong type: read leniently, "2" would stop nothing and "eos" would become
     * token 0, a silently different generation.
     */
    private static TokenizerException notTokenIds(ModelFiles files, String key, String expected, JsonNode found) {
        return new TokenizerException(files.dir.resolve(ModelFiles.GENERATION_CONFIG) + ": " + key + " must be "
                + expected + ", got " + found);
    }

    /** An added_tokens_decoder key: the token's id as a decimal string. */
    private static int addedTokenId(ModelFiles files, String key) {
        try {
            return Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw new TokenizerException(files.dir.resolve(ModelFiles.TOKENIZER_CONFIG)
                    + ": added_tokens_decoder key \"" + key + "\" is not a token id", e);
        }
    }
}
