package dev.stride.decoder.tokenizer;

/** A tokenizer could not be loaded or could not process its input. */
public class TokenizerException extends RuntimeException {

    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}
