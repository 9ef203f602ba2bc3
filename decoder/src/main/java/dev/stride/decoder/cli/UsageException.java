package dev.stride.decoder.cli;

import java.util.function.Supplier;

/**
 * A command's own check of its command line failed: a value out of range, or options that cannot go together. The
 * command line exits 2 for it, as for the errors picocli finds while parsing; failures of the files, the model or
 * the machine exit 1.
 */
final class UsageException extends IllegalArgumentException {

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The value of a library's check of an option, whose IllegalArgumentException naming it is a usage error. */
    static <T> T checked(Supplier<T> check) {
        try {
            return check.get();
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }
}
