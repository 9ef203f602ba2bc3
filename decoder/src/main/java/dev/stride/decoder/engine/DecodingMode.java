package dev.stride.decoder.engine;

/** Plain one-token-per-pass decoding, or multi-token decoding with prediction heads. */
public enum DecodingMode {
    AR, MTP;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static DecodingMode parse(String text) {
        for (DecodingMode mode : values()) {
            if (mode.wireName().equalsIgnoreCase(text)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown decoding mode '" + text + "' (expected ar or mtp)");
    }

    /** The mode asked for, or by default multi-token decoding when there are prediction heads, else plain. */
    public static DecodingMode resolve(String requested, boolean hasHeads) {
        return requested != null ? parse(requested) : hasHeads ? MTP : AR;
    }
}
