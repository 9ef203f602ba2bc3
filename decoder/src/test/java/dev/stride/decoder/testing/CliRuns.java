package dev.stride.decoder.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.cli.StrideCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The stride command line run in this JVM with its standard output and error captured. */
public final class CliRuns {

    /** An exit code and what the run wrote to standard output and standard error. */
    public record Result(int code, String out, String err) {
    }

    private CliRuns() {
    }

    public static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
            code = StrideCli.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Result(code, capturedOut.toString(StandardCharsets.UTF_8),
                capturedErr.toString(StandardCharsets.UTF_8));
    }

    /** Runs expecting exit code {@code code}; returns what the run wrote to standard error. */
    public static String expecting(int code, String... args) {
        Result result = run(args);
        assertEquals(code, result.code(), result.err());
        return result.err();
    }
}
