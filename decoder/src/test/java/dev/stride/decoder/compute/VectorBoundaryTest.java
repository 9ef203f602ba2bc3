package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.tensor.LaneSum;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every method of the engine that takes or returns a vector (or a vector mask or shuffle) is at most 35 bytes of
 * bytecode, the size the JIT inlines at any call site, hot or not (-XX:MaxInlineSize). A vector lives in registers
 * only inside one compiled method; passed across a call the JIT did not inline, it is an object on the heap. A larger
 * helper is left out of line by C1, so C2 may compile it on its own first, and C2 then declines to inline it into
 * its callers ("already compiled into a big method"): which of the two compiles first is a matter of timing. CI saw
 * exactly that once, every norm boxing four vectors for the life of the process (12 MB per 1,000 demo passes).
 * Within the size the callee is inlined wherever the caller is compiled, and code past it passes arrays instead.
 */
class VectorBoundaryTest {

    private static final int MAX_INLINE_SIZE = 35;
    private static final Pattern VECTOR_TYPE =
            Pattern.compile("jdk\\.incubator\\.vector\\.(\\w*Vector|VectorMask|VectorShuffle)\\b");
    private static final Pattern CLASS = Pattern.compile("(?:class|interface|enum|record) ([\\w.$]+)");
    private static final Pattern INSTRUCTION = Pattern.compile("^\\s+(\\d+): (\\w+)");
    /** Opcodes of one byte that can end a method's code. */
    private static final Set<String> ENDINGS =
            Set.of("areturn", "ireturn", "freturn", "lreturn", "dreturn", "return", "athrow");

    @Test
    void methodsThatPassVectorsAreSmallEnoughToInlineEverywhere() throws Exception {
        Path classes = Path.of(LaneSum.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names;
        try (Stream<Path> files = Files.walk(classes)) {
            names = files.filter(f -> f.toString().endsWith(".class"))
                    .map(f -> classes.relativize(f).toString().replace(".class", "").replace('/', '.')).toList();
        }
        List<String> arguments = new ArrayList<>(List.of("-p", "-c", "-cp", classes.toString()));
        arguments.addAll(names);
        StringWriter listing = new StringWriter();
        int rc = ToolProvider.findFirst("javap").orElseThrow()
                .run(new PrintWriter(listing), new PrintWriter(System.err), arguments.toArray(String[]::new));
        assertEquals(0, rc, "javap");

        List<String> tooLarge = new ArrayList<>();
        int checked = 0;
        String type = null;
        String method = null;
        int lastOffset = -1;
        String lastOpcode = null;
        for (String line : listing.toString().split("\n")) {
            Matcher instruction = INSTRUCTION.matcher(line);
            if (instruction.find()) {
                lastOffset = Integer.parseInt(instruction.group(1));
                lastOpcode = instruction.group(2);
                continue;
            }
            Matcher declaration = CLASS.matcher(line);
            if (declaration.find()) {
                type = declaration.group(1);
            }
            // A member's declaration (a method, a field or "static {}") ends the code listed before it.
            boolean member = line.startsWith("  ") && !line.startsWith("   ") && line.endsWith(";");
            if (!member && !line.startsWith("}")) {
                continue;
            }
            if (method != null && lastOffset >= 0) {
                checked++;
                assertTrue(ENDINGS.contains(lastOpcode), method + " ends in " + lastOpcode + ": size unknown");
                if (lastOffset + 1 > MAX_INLINE_SIZE) {
                    tooLarge.add(type + ": " + method.trim() + " " + (lastOffset + 1) + " bytes");
                }
            }
            method = member && VECTOR_TYPE.matcher(line).find() ? line : null;
            lastOffset = -1;
        }
        assertTrue(checked >= 10, "found only " + checked + " methods passing vectors in " + classes);
        assertEquals(List.of(), tooLarge, "methods passing vectors beyond MaxInlineSize");
    }
}
