package dev.stride.decoder.engine;

/** Incremental detokenization of one sequence: each call returns the newly completed text. */
public interface TextStream {

    String push(int tokenId);

    /**
     * The text still held back (the start of a UTF-8 character no later token completed), as a whole decode shows
     * it; called once a sequence ends. A stream that holds nothing back returns "".
     */
    default String flush() {
        return "";
    }

    /** Opens streams and decodes whole id arrays; backed by the model's tokenizer. */
    interface Factory {
        TextStream open(int[] promptIds);

        String decode(int[] ids);
    }
}
