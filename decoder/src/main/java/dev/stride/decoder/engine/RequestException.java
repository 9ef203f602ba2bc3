package dev.stride.decoder.engine;

/** A single request that cannot run; {@link #kind()} is a stable machine-readable error kind. */
public final class RequestException extends RuntimeException {

    private final String kind;

    public RequestException(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }

    /** The form used in output rows: {@code kind: message}. */
    public String describe() {
        return kind + ": " + getMessage();
    }
}
