package dev.stride.decoder.engine;

/** Why a sequence stopped. {@link #wireName()} is the value written to JSON and Parquet. */
public enum FinishReason {
    /** A stop string appeared in the text. */
    STOP,
    /** max_new_tokens or the context length was reached. */
    LENGTH,
    /** The model produced an end-of-sequence token. */
    EOS;

    private final String wireName = name().toLowerCase(java.util.Locale.ROOT);

    public String wireName() {
        return wireName;
    }
}
