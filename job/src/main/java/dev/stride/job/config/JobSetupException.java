package dev.stride.job.config;

/** The input or output cannot be used as given (wrong columns, output already there); found before any work. */
public final class JobSetupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public JobSetupException(String message) {
        super(message);
    }
}
