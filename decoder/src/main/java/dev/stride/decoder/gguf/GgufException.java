package dev.stride.decoder.gguf;

/** A GGUF file that cannot be read or imported; the message names the file and the key or tensor at fault. */
public class GgufException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
