package dev.stride.decoder.engine;

/**
 * How a {@link BatchDecoder} decodes.
 *
 * @param mode plain or multi-token
 * @param tree candidate tree spec for multi-token decoding: auto, chain:K, nodes:N or file:PATH
 * @param maxBatch most sequences in flight at once
 */
public record DecoderOptions(DecodingMode mode, String tree, int maxBatch) {

    public DecoderOptions {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("max batch must be > 0, got " + maxBatch);
        }
    }
}
