package dev.stride.decoder.safetensors;

/** A safetensors file or index is missing, malformed, or cannot be read or written; the message names the file. */
public class SafetensorsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}
