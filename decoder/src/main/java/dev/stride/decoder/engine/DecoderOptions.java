package dev.stride.decoder.engine;

import dev.stride.decoder.mtp.TreeSpecs;

/**
 * How a {@link BatchDecoder} decodes.
 *
 * @param mode plain or multi-token
 * @param tree candidate tree spec for multi-token decoding: auto, static, chain:K, nodes:N or file:PATH
 * @param maxBatch most sequences in flight at once
 */
public record DecoderOptions(DecodingMode mode, String tree, int maxBatch) {

    /** The tree spec the command lines and the Spark job start from. */
    public static final String DEFAULT_TREE = "auto";
    /** Sequences in flight the command lines and the Spark job start from. */
    public static final int DEFAULT_MAX_BATCH = 8;

    public DecoderOptions {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("max batch must be > 0, got " + maxBatch);
        }
        TreeSpecs.checkForm(tree);
    }
}
