package dev.stride.job.io;

import java.util.Locale;

/** Why a row failed; the output's error column reads {@code <kind>: <message>}. */
public enum ErrorKind {
    EMPTY_PROMPT, PROMPT_TOO_LONG, INVALID_OVERRIDE, TOKENIZE_FAILED, CHAT_TEMPLATE, GENERATION_FAILED,
    /** A StrideGenerator row whose id is null: its seed derives from the id (the job derives ids itself). */
    MISSING_ID;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public String describe(String message) {
        return wireName() + ": " + message;
    }

    /** The engine's own error text, tagged generation_failed unless it already starts with a known kind. */
    public static String fromEngine(String engineError) {
        for (ErrorKind kind : values()) {
            if (engineError.startsWith(kind.wireName() + ":")) {
                return engineError;
            }
        }
        return GENERATION_FAILED.describe(engineError);
    }
}
