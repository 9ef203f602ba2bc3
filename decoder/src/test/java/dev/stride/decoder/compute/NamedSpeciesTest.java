package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine's vector conversions name their target species. The species-free forms
 * ({@code reinterpretAsFloats()}, {@code convert(op, part)}, ...) look the target up at run time; where C2 cannot
 * fold that lookup the conversion stays a call and its vectors are boxed, as seen in Spark executors (see
 * {@link VectorExp}). Only a look at the sources can catch that: the results are the same bits either way, and
 * in-process timing of a JIT outcome is not a test.
 */
class NamedSpeciesTest {

    private static final Pattern SPECIES_FREE = Pattern.compile(
            "\\.(reinterpretAs(Floats|Ints|Bytes|Shorts|Longs|Doubles)|viewAs(Floating|Integral)Lanes)\\(\\)"
                    + "|\\.convert\\(VectorOperators\\.");

    @Test
    void mainSourcesUseNoSpeciesFreeConversion() throws IOException {
        Path main = Path.of("src/main/java");
        assertTrue(Files.isDirectory(main), "run from the decoder module: " + main.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> files = Files.walk(main)) {
            offenders = files.filter(p -> p.toString().endsWith(".java"))
                    .flatMap(NamedSpeciesTest::speciesFreeLines)
                    .collect(Collectors.toList());
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void patternCatchesTheForms() {
        assertTrue(SPECIES_FREE.matcher("x.lanewise(LSHL, 16).reinterpretAsFloats();").find());
        assertTrue(SPECIES_FREE.matcher("v.convert(VectorOperators.I2F, 0)").find());
        assertFalse(SPECIES_FREE.matcher("(FloatVector) x.reinterpretShape(F, 0)").find());
    }

    private static Stream<String> speciesFreeLines(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return IntStream.range(0, lines.size())
                    .filter(i -> SPECIES_FREE.matcher(lines.get(i)).find())
                    .mapToObj(i -> file + ":" + (i + 1) + ": " + lines.get(i).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
