package dev.stride.decoder.engine;

/** Incremental detokenization of one sequence: each call returns the newly completed text. */
public interface TextStream {

    String push(int tokenId);

    /** Opens streams and decodes whole id arrays; backed by the model's tokenizer. */
    interface Factory {
        TextStream open(int[] promptIds);

        String decode(int[] ids);
    }
}
