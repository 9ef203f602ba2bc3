package dev.stride.decoder.model;

import com.fasterxml.jackson.databind.JsonNode;

/** Values of a model's or heads' config.json, read strictly: a failure names the file ({@code where}) and the key. */
public final class ConfigValues {

    private ConfigValues() {
    }

    /**
     * The int under {@code key}: Jackson's lenient reading would take 2.5 as 2, "3" as 3, true as 1 and 2^32 + 192
     * as 192, a silently different model or set of heads.
     */
    public static int integer(JsonNode json, String key, String where) {
        JsonNode v = json.get(key);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new ModelException(where + ": '" + key + "' must be an integer, got " + v);
        }
        return v.intValue();
    }
}
