package dev.stride.decoder.safetensors;

import static dev.stride.decoder.safetensors.SafetensorsTestFiles.tensorJson;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every malformed single file must fail on open with a message naming the file, the tensor, and the problem. */
class SafetensorsCorruptFileTest {

    private static final String FILE_NAME = "broken-model.safetensors";
    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path file = Files.write(dir.resolve(FILE_NAME), new byte[5]);
        assertOpenFails(file, "5 bytes, too short");
    }

    @Test
    void headerLengthZero() throws IOException {
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), 0, new byte[0], new byte[16]),
                "truncated or corrupt header", "header length 0");
    }

    @Test
    void headerLengthAboveTheLimit() throws IOException {
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), 100_000_001L, EMPTY_OBJECT, new byte[0]),
                "truncated or corrupt header", "header length 100000001");
    }

    @Test
    void headerLengthPastEndOfFile() throws IOException {
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), 1000, EMPTY_OBJECT, new byte[10]),
                "truncated or corrupt header", "header length 1000", "file size 20");
    }

    @Test
    void headerLengthWithTheTopBitSet() throws IOException {
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), -1L, EMPTY_OBJECT, new byte[0]),
                "truncated or corrupt header", "18446744073709551615");
    }

    @Test
    void headerNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xff, (byte) 0xfe, '"', ':', '1', '}'};
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), header.length, header, new byte[0]),
                "not valid UTF-8");
    }

    static Stream<Arguments> badJson() {
        return Stream.of(
                Arguments.of("{\"a\": ", "not valid JSON"),
                Arguments.of("{} {}", "not valid JSON"),
                Arguments.of("{\"__metadata__\": {}, \"__metadata__\": {}}", "Duplicate field '__metadata__'"),
                Arguments.of("[1, 2]", "not a JSON object"),
                Arguments.of("        ", "not a JSON object"),
                Arguments.of("{\"__metadata__\": [\"a\"]}", "__metadata__ must be an object of strings"),
                Arguments.of("{\"__metadata__\": {\"total\": 5}}", "__metadata__ value for 'total' must be a string"));
    }

    @ParameterizedTest
    @MethodSource("badJson")
    void headerJsonIsRejected(String header, String problem) throws IOException {
        assertOpenFails(SafetensorsTestFiles.write(dir.resolve(FILE_NAME), header, 0), problem);
    }

    static Stream<Arguments> badTensorEntries() {
        return Stream.of(
                Arguments.of("\"w\": 5", 0, "entry must be a JSON object"),
                Arguments.of("\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}", 8, "missing 'dtype'"),
                Arguments.of("\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}", 8, "missing 'shape'"),
                Arguments.of("\"w\": {\"dtype\": \"F32\", \"shape\": [2]}", 8, "missing 'data_offsets'"),
                Arguments.of(tensorJson("w", "5", "[2]", "[0, 8]"), 8, "'dtype' must be a string"),
                Arguments.of(tensorJson("w", "\"F64\"", "[2]", "[0, 16]"), 16, "unsupported dtype 'F64'"),
                Arguments.of(tensorJson("w", "\"F8_E4M3\"", "[2]", "[0, 2]"), 2, "supported: F32, F16, BF16"),
                Arguments.of(tensorJson("w", "\"F32\"", "\"2\"", "[0, 8]"), 8, "'shape' must be an array of integers"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2.5]", "[0, 8]"), 8, "'shape' must be an array of integers"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2]", "[\"0\", \"8\"]"), 8,
                        "'data_offsets' must be an array of integers"),
                Arguments.of(tensorJson("w", "\"F32\"", "[99999999999999999999]", "[0, 8]"), 8,
                        "'shape' must be an array of integers"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2]", "[0]"), 8, "'data_offsets' must be [begin, end]"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2, -3]", "[0, 8]"), 8,
                        "negative dimension -3 in shape [2, -3]"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2]", "[8, 0]"), 8, "invalid data_offsets [8, 0]"),
                Arguments.of(tensorJson("w", "\"F32\"", "[2]", "[-8, 0]"), 8, "invalid data_offsets [-8, 0]"),
                Arguments.of(tensorJson("w", "\"F32\"", "[4]", "[0, 16]"), 12,
                        "truncated file: data_offsets [0, 16] reach past the 12 bytes"),
                Arguments.of(tensorJson("w", "\"F16\"", "[3]", "[0, 8]"), 8,
                        "span 8 bytes, but shape [3] of F16 needs 6 bytes"),
                Arguments.of(tensorJson("w", "\"F32\"", "[4294967296, 4294967296]", "[0, 8]"), 8,
                        "shape [4294967296, 4294967296] is too large"));
    }

    @ParameterizedTest
    @MethodSource("badTensorEntries")
    void tensorEntryIsRejected(String entry, int dataBytes, String problem) throws IOException {
        Path file = SafetensorsTestFiles.write(dir.resolve(FILE_NAME),
                "{\"__metadata__\": {\"format\": \"pt\"}, "
                        + tensorJson("ok", "\"F16\"", "[0]", "[0, 0]") + ", " + entry + "}", dataBytes);
        assertOpenFails(file, "tensor 'w'", problem);
    }

    @Test
    void overlappingTensorsAreRejectedNamingBoth() throws IOException {
        Path file = SafetensorsTestFiles.write(dir.resolve(FILE_NAME), "{"
                + tensorJson("first", "\"F32\"", "[4]", "[0, 16]") + ", "
                + tensorJson("second", "\"F32\"", "[2]", "[12, 20]") + "}", 20);
        assertOpenFails(file, "tensors 'first' [0, 16] and 'second' [12, 20] overlap");
    }

    @Test
    void overlapIsFoundEvenWhenNotBetweenHeaderNeighbours() throws IOException {
        Path file = SafetensorsTestFiles.write(dir.resolve(FILE_NAME), "{"
                + tensorJson("tail", "\"F32\"", "[1]", "[28, 32]") + ", "
                + tensorJson("big", "\"F32\"", "[6]", "[8, 32]") + ", "
                + tensorJson("head", "\"F32\"", "[2]", "[0, 8]") + "}", 32);
        assertOpenFails(file, "'big' [8, 32] and 'tail' [28, 32] overlap");
    }

    @Test
    void emptyTensorsAndGapsAreAccepted() throws IOException {
        Path file = SafetensorsTestFiles.write(dir.resolve(FILE_NAME), "{"
                + tensorJson("a", "\"F32\"", "[2]", "[0, 8]") + ", "
                + tensorJson("none", "\"F32\"", "[0]", "[4, 4]") + ", "
                + tensorJson("b", "\"F32\"", "[1]", "[12, 16]") + "}", 20);
        try (TensorStore store = TensorStore.openFile(file)) {
            assertTrue(store.contains("none"));
            assertFalse(store.contains("c"));
        }
    }

    @Test
    void headerPaddedWithSpacesIsAccepted() throws IOException {
        Path file = SafetensorsTestFiles.write(dir.resolve(FILE_NAME),
                "{" + tensorJson("a", "\"BF16\"", "[2]", "[0, 4]") + "}      ", 4);
        try (TensorStore store = TensorStore.openFile(file)) {
            assertTrue(store.contains("a"));
        }
    }

    @Test
    void missingFileIsNamed() {
        assertOpenFails(dir.resolve(FILE_NAME), "does not exist");
    }

    @Test
    void unsupportedDtypeMessageStartsWithTheCallersContext() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> DType.parse("I8", "file X, tensor Y"));
        assertTrue(e.getMessage().startsWith("file X, tensor Y: unsupported dtype 'I8'"), e.getMessage());
        assertTrue(e.getMessage().contains("F32, F16, BF16"), e.getMessage());
    }

    private static void assertOpenFails(Path file, String... expectedParts) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> TensorStore.openFile(file).close());
        String message = e.getMessage();
        assertTrue(message.contains(FILE_NAME), () -> "message does not name the file: " + message);
        for (String part : expectedParts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }
}
