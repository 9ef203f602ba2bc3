package dev.stride.decoder.model;

/** A model directory that cannot be used: names the file and the value or tensor at fault. */
public class ModelException extends RuntimeException {

    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
