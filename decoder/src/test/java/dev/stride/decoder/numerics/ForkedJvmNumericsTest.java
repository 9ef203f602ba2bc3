package dev.stride.decoder.numerics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.testing.ForkedJvm;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every bit a user sees (logits, tokens, log-probabilities) is the same in every JIT tier (interpreter, C1, C2,
 * compile-everything, and after a long warm-up with deoptimisations on the way) and on every vector width
 * (128, 256 and 512 bits, and AVX2 instead of AVX-512), for all three weight layouts and the bundled model with
 * its heads in plain and multi-token modes. These differences cannot be seen inside one JVM, so each setting runs
 * {@link NumericsProbe} in a JVM of its own and its lines are compared with a default JVM's.
 */
class ForkedJvmNumericsTest {

    private static Map<String, String> baseline;
    private static int baselineBits;

    @BeforeAll
    static void runDefaultJvm() throws Exception {
        baseline = probe(List.of(), "all", 1);
        baselineBits = vectorBits(baseline);
        assertTrue(baseline.keySet().stream().anyMatch(k -> k.startsWith("demo/")), "the probe covers the demo");
        assertTrue(baseline.keySet().stream().anyMatch(k -> k.contains("STREAMED")), "and the streamed layout");
        assertTrue(baseline.keySet().stream().anyMatch(k -> k.endsWith("/Q8")), "and 8-bit weights");
    }

    @Test
    void plainAndMultiTokenDecodingAgreeInsideEveryJvm() {
        for (String kind : new String[] {"greedy", "sampled"}) {
            String plain = baseline.get("demo/" + kind + "/plain");
            assertEquals(plain, baseline.get("demo/" + kind + "/chain:2"), kind);
            assertEquals(plain, baseline.get("demo/" + kind + "/nodes:8"), kind);
        }
    }

    @Test
    void c1Only() throws Exception {
        assertSameAsBaseline(List.of("-XX:TieredStopAtLevel=1"), "tiny", 1); // vectors are boxed in C1: slow
    }

    @Test
    void c2OnlyAfterTheInterpreter() throws Exception {
        assertSameAsBaseline(List.of("-XX:-TieredCompilation"), "all", 1);
    }

    @Test
    void interpreterOnly() throws Exception {
        assertSameAsBaseline(List.of("-Xint"), "micro", 1);
    }

    @Test
    void everythingCompiledBeforeItRuns() throws Exception {
        assertSameAsBaseline(List.of("-Xcomp", "-XX:-TieredCompilation"), "tiny", 1);
    }

    /** Many rounds in one JVM: early ones interpreted or in C1, later ones in C2, recompiled along the way. */
    @Test
    void longWarmUp() throws Exception {
        assertSameAsBaseline(List.of(), "all", 12);
    }

    @Test
    void vectorWidths() throws Exception {
        for (int bytes : new int[] {16, 32, 64}) {
            Map<String, String> lines = assertSameAsBaseline(List.of("-XX:MaxVectorSize=" + bytes), "all", 1);
            assertEquals(Math.min(8 * bytes, baselineBits), vectorBits(lines), "MaxVectorSize=" + bytes);
        }
    }

    @Test
    void avx2OnAnAvx512Machine() throws Exception {
        Map<String, String> lines = assertSameAsBaseline(List.of("-XX:UseAVX=2"), "all", 1);
        assertTrue(vectorBits(lines) <= 256, "UseAVX=2 runs 256-bit vectors at most: " + vectorBits(lines));
    }

    private static Map<String, String> assertSameAsBaseline(List<String> flags, String scope, int rounds)
            throws Exception {
        Map<String, String> lines = probe(flags, scope, rounds);
        int compared = 0;
        for (Map.Entry<String, String> e : lines.entrySet()) {
            if (!e.getKey().startsWith("#")) {
                assertEquals(baseline.get(e.getKey()), e.getValue(), flags + ": " + e.getKey());
                compared++;
            }
        }
        int cases = switch (scope) {
            case "micro" -> 6;
            case "tiny" -> 18;
            default -> 24;
        };
        assertEquals(cases, compared, flags + ": cases compared");
        return lines;
    }

    private static int vectorBits(Map<String, String> lines) {
        return Integer.parseInt(lines.get("# vector-bits"));
    }

    /** Runs the probe in a new JVM with the given flags; its output lines as name -> value. */
    private static Map<String, String> probe(List<String> flags, String scope, int rounds)
            throws IOException, InterruptedException {
        return parse(ForkedJvm.run(flags, NumericsProbe.class, scope, String.valueOf(rounds)));
    }

    private static Map<String, String> parse(String output) {
        Map<String, String> lines = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            assertFalse(space < 0, "unexpected probe output: " + line);
            lines.put(line.substring(0, space), line.substring(space + 1));
        }
        return lines;
    }
}
