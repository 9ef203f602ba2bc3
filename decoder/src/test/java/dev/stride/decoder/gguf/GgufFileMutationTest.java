package dev.stride.decoder.gguf;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stride.decoder.testing.GgufTestWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A small mutation fuzzer over the GGUF header: a tiny valid file cut at every offset, each header byte and each
 * 4- and 8-byte field overwritten with values that break counts, lengths, types and offsets. Every damaged file
 * must open (with every tensor inside it) or fail with a {@link GgufException} naming it, never another exception,
 * an allocation the file cannot justify, or a hang.
 */
class GgufFileMutationTest {

    /** Byte values that are other metadata types (bool, string, array, float64, none) or break lengths. */
    private static final byte[] BYTES = {0, 7, 9, 12, 13, (byte) 0xFF};
    private static final long[] LONGS = {-1, Long.MAX_VALUE, 1L << 32};

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES) // a reader looping on a damaged count fails here, not the build
    void everyDamagedHeaderOpensOrFailsNamingTheFile() throws IOException {
        Path file = dir.resolve("mutant.gguf");
        ByteBuffer q8 = ByteBuffer.allocate(2 * 34).order(ByteOrder.LITTLE_ENDIAN);
        q8.putShort(0, (short) 0x3C00).put(2, (byte) 127);
        new GgufTestWriter()
                .put("general.architecture", "llama")
                .put("general.alignment", 32)
                .put("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .put("tokenizer.ggml.add_bos_token", true)
                .put("tokenizer.ggml.tokens", List.of("a", "b"))
                .put("tokenizer.ggml.token_type", new int[] {1, 3})
                .tensor("norm.weight", GgmlType.F32, new long[] {4}, new byte[16])
                .tensor("proj.weight", GgmlType.Q8_0, new long[] {32, 2}, q8.array())
                .write(file);
        byte[] good = Files.readAllBytes(file);
        int header = headerLength(file);
        int mutants = 0;
        for (int at = 0; at <= good.length; at++) {
            mutants += check(file, Arrays.copyOf(good, at), "cut at " + at);
        }
        for (int at = 0; at < header; at++) {
            for (byte b : BYTES) {
                byte[] m = good.clone();
                m[at] = b;
                mutants += check(file, m, "byte " + at + " = " + b);
            }
            mutants += check(file, put(good, at, Integer.MAX_VALUE, 4), "int at " + at + " = 2^31 - 1");
            for (long v : LONGS) {
                mutants += check(file, put(good, at, v, 8), "long at " + at + " = " + v);
            }
        }
        assertTrue(mutants > 4000, "fuzzed only " + mutants + " files");
    }

    /** Bytes before the data section: where the first tensor's data starts. */
    private static int headerLength(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            return (int) gguf.tensors().get("norm.weight").offset();
        }
    }

    private static byte[] put(byte[] good, int at, long value, int width) {
        byte[] m = good.clone();
        ByteBuffer b = ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN);
        if (at + width <= m.length) {
            if (width == 4) {
                b.putInt(at, (int) value);
            } else {
                b.putLong(at, value);
            }
        }
        return m;
    }

    private static int check(Path file, byte[] bytes, String mutation) throws IOException {
        Files.write(file, bytes);
        try (GgufFile gguf = GgufFile.open(file)) {
            gguf.tensors().values().forEach(gguf::data);
        } catch (GgufException e) {
            assertTrue(e.getMessage().contains(file.toString()), mutation + ": message should name the file: " + e);
        } catch (RuntimeException | OutOfMemoryError | StackOverflowError e) {
            fail(mutation + ": " + e, e);
        }
        return 1;
    }
}
