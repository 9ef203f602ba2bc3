package dev.stride.decoder.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test probe's main class in a JVM of its own, on this JVM's class path: for what one JVM cannot show about
 * itself (another JIT tier or vector width), or must not inherit from the tests that ran before (JIT profiles).
 */
public final class ForkedJvm {

    private ForkedJvm() {
    }

    /** The standard output of {@code main} run with the JVM flags and arguments given; fails unless it exits 0. */
    public static String run(List<String> flags, Class<?> main, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+IgnoreUnrecognizedVMOptions"); // UseAVX exists only on x86
        command.addAll(flags);
        command.add("--add-modules=jdk.incubator.vector");
        command.add("-Dstride.fixture.dir=" + System.getProperty("stride.fixture.dir", "../models/fortunes-llama-2m"));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("stride-probe", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean finished = process.waitFor(8, TimeUnit.MINUTES);
            if (!finished) {
                process.destroyForcibly();
            }
            assertTrue(finished, flags + ": " + main.getSimpleName() + " did not finish in 8 minutes");
            assertEquals(0, process.exitValue(), flags + ": " + main.getSimpleName() + " failed:\n" + output
                    + Files.readString(stderr));
            return output;
        } finally {
            Files.deleteIfExists(stderr);
        }
    }
}
