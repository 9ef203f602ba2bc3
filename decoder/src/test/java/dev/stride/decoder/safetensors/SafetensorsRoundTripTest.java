package dev.stride.decoder.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private Path writeSample() {
        Path file = dir.resolve("sample.safetensors");
        new SafetensorsWriter()
                .putFloats("w32", DType.F32, new long[] {2, 3},
                        new float[] {1.5f, -2.25f, 3.0e-8f, Float.MAX_VALUE, -0.0f, 7f})
                .putFloats("w16", DType.F16, new long[] {4}, new float[] {0.5f, -65504f, 0x1p-24f, 1.0f / 3})
                .putFloats("wbf", DType.BF16, new long[] {1, 3}, new float[] {1.0f, -3.0f, 1.0f / 3})
                .putFloats("scalar", DType.F32, new long[] {}, new float[] {42f})
                .putFloats("empty", DType.F16, new long[] {0, 4}, new float[] {})
                .putRaw("raw", DType.F16, new long[] {2}, new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0})
                .metadata("format", "pt")
                .metadata("note", "ünïcode ✓")
                .write(file);
        return file;
    }

    @Test
    void tensorsAndMetadataRoundTrip() {
        try (TensorStore store = TensorStore.openFile(writeSample())) {
            assertEquals(List.of("empty", "raw", "scalar", "w16", "w32", "wbf"), List.copyOf(store.names()));
            assertEquals(Map.of("format", "pt", "note", "ünïcode ✓"), store.metadata());

            assertShape(store, "w32", DType.F32, 2, 3);
            assertArrayEquals(new float[] {1.5f, -2.25f, 3.0e-8f, Float.MAX_VALUE, -0.0f, 7f}, store.readFloats("w32"));
            assertShape(store, "w16", DType.F16, 4);
            assertArrayEquals(new float[] {0.5f, -65504f, 0x1p-24f, 0.333251953125f}, store.readFloats("w16"));
            assertShape(store, "wbf", DType.BF16, 1, 3);
            assertArrayEquals(new float[] {1.0f, -3.0f, 0.333984375f}, store.readFloats("wbf"));
            assertShape(store, "scalar", DType.F32);
            assertArrayEquals(new float[] {42f}, store.readFloats("scalar"));
            assertShape(store, "empty", DType.F16, 0, 4);
            assertEquals(0, store.readFloats("empty").length);
            assertEquals(0, store.data("empty").limit());
            assertArrayEquals(new float[] {1.0f, -2.0f}, store.readFloats("raw"));
        }
    }

    /**
     * A finite value beyond the dtype's range is refused naming the tensor: F16 wrote 70000 as infinity (train-heads
     * --lr 8000 saved 3304 infinite weights in one head from finite ones). Infinities and NaN pass as they are.
     */
    @Test
    void aFiniteValueTheDtypeCannotHoldIsRefused() {
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            float beyond = dtype == DType.F16 ? -70000f : Float.MAX_VALUE;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SafetensorsWriter()
                    .putFloats("0.1.weight", dtype, new long[] {3}, new float[] {1f, beyond, 2f}));
            assertTrue(e.getMessage().contains("tensor '0.1.weight'") && e.getMessage().contains("index 1")
                    && e.getMessage().contains(dtype.name()), e.getMessage());
            new SafetensorsWriter().putFloats("special", dtype, new long[] {3},
                    new float[] {Float.NaN, Float.POSITIVE_INFINITY, 65504f});
        }
    }

    @Test
    void layoutFollowsTheFormat() throws IOException {
        Path file = writeSample();
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        JsonNode json = new ObjectMapper().readTree(header);
        // Insertion order, contiguous offsets, data ends the file.
        List<String> order = new ArrayList<>();
        json.fieldNames().forEachRemaining(order::add);
        assertEquals(List.of("__metadata__", "w32", "w16", "wbf", "scalar", "empty", "raw"), order);
        assertEquals("[0,24]", json.get("w32").get("data_offsets").toString());
        assertEquals("[24,32]", json.get("w16").get("data_offsets").toString());
        assertEquals("[32,38]", json.get("wbf").get("data_offsets").toString());
        assertEquals("[42,42]", json.get("empty").get("data_offsets").toString());
        assertEquals("[42,46]", json.get("raw").get("data_offsets").toString());
        assertEquals(8 + headerLength + 46, bytes.length);

        try (TensorStore store = TensorStore.openFile(file)) {
            TensorInfo w16 = store.info("w16");
            assertEquals(8 + headerLength + 24, w16.dataOffset());
            assertEquals(8, w16.byteLength());
            assertEquals(file, w16.file());
            // Bytes in the file at the reported offset are the little-endian f16 encodings.
            ByteBuffer raw = ByteBuffer.wrap(bytes, (int) w16.dataOffset(), 8).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals((short) 0x3800, raw.getShort());  // 0.5
            assertEquals((short) 0xfbff, raw.getShort());  // -65504
            assertEquals((short) 0x0001, raw.getShort());  // 2^-24
            assertEquals((short) 0x3555, raw.getShort());  // 1/3 rounded to nearest
        }
    }

    @Test
    void dataIsAReadOnlyLittleEndianViewPerCall() {
        try (TensorStore store = TensorStore.openFile(writeSample())) {
            ByteBuffer first = store.data("w32");
            assertTrue(first.isReadOnly());
            assertTrue(first.isDirect());
            assertEquals(ByteOrder.LITTLE_ENDIAN, first.order());
            assertEquals(0, first.position());
            assertEquals(24, first.limit());
            assertEquals(24, first.capacity());
            assertEquals(-2.25f, first.getFloat(4));
            assertThrows(ReadOnlyBufferException.class, () -> first.putFloat(0, 1f));
            first.position(12);

            ByteBuffer second = store.data("w32");
            assertEquals(0, second.position(), "a caller's position must not leak into other views");
            assertEquals(ByteOrder.LITTLE_ENDIAN, second.order());
            assertEquals(1.5f, second.getFloat());
        }
    }

    @Test
    void writeReplacesAnExistingFileAndLeavesNoTempFiles() throws IOException {
        Path file = writeSample();
        new SafetensorsWriter().putFloats("only", DType.F32, new long[] {1}, new float[] {9f}).write(file);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        try (TensorStore store = TensorStore.openFile(file)) {
            assertEquals(List.of("only"), List.copyOf(store.names()));
            assertEquals(Map.of(), store.metadata());
            assertArrayEquals(new float[] {9f}, store.readFloats("only"));
        }
    }

    @Test
    void aStreamedWriteGivesTheBytesOfAnInMemoryOneAndRefusesAShortTensor() throws IOException {
        float[] values = {1.5f, -2.25f, 3.0e-8f, Float.MAX_VALUE, -0.0f, 7f};
        Path inMemory = dir.resolve("in-memory.safetensors");
        new SafetensorsWriter().putFloats("w", DType.F32, new long[] {2, 3}, values)
                .putFloats("v", DType.F32, new long[] {1}, new float[] {9f}).metadata("format", "pt").write(inMemory);
        Path streamed = dir.resolve("streamed.safetensors");
        List<SafetensorsWriter.TensorSpec> specs = List.of(new SafetensorsWriter.TensorSpec("w", DType.F32,
                new long[] {2, 3}), new SafetensorsWriter.TensorSpec("v", DType.F32, new long[] {1}));
        SafetensorsWriter.writeStreamed(streamed, specs, Map.of("format", "pt"), (index, channel) -> {
            ByteBuffer bytes = ByteBuffer.allocate((int) specs.get(index).byteLength()).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : index == 0 ? values : new float[] {9f}) {
                bytes.putFloat(v);
            }
            channel.write(bytes.flip());
        });
        assertArrayEquals(Files.readAllBytes(inMemory), Files.readAllBytes(streamed));

        Path shortFile = dir.resolve("short.safetensors");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SafetensorsWriter.writeStreamed(
                shortFile, specs, Map.of(), (index, channel) -> channel.write(ByteBuffer.allocate(4))));
        assertTrue(e.getMessage().contains("tensor 'w': 4 bytes written, its shape needs 24"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count(), "the failed write leaves no file");
        }
    }

    @Test
    void writeErrorNamesThePath() {
        Path file = dir.resolve("no-such-dir").resolve("out.safetensors");
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> new SafetensorsWriter().putFloats("x", DType.F32, new long[] {1}, new float[] {1f}).write(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void writerRejectsInconsistentTensors() {
        SafetensorsWriter writer = new SafetensorsWriter()
                .putFloats("a", DType.F16, new long[] {2}, new float[] {1, 2});
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> writer.putFloats("b", DType.F32, new long[] {2, 2}, new float[] {1, 2, 3}));
        assertTrue(count.getMessage().contains("4 elements but 3 values"), count.getMessage());
        IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class,
                () -> writer.putRaw("c", DType.BF16, new long[] {3}, new byte[4]));
        assertTrue(bytes.getMessage().contains("needs 6 bytes but 4"), bytes.getMessage());
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> writer.putFloats("a", DType.F16, new long[] {1}, new float[] {1}));
        assertTrue(duplicate.getMessage().contains("'a' was already added"), duplicate.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> writer.putFloats("__metadata__", DType.F16, new long[] {1}, new float[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> writer.putFloats("d", DType.F16, new long[] {-1}, new float[] {}));
    }

    @Test
    void tensorInfoComparesShapesByContentAndCopiesThem() {
        long[] shape = {2, 3};
        TensorInfo info = new TensorInfo("t", DType.F32, shape, dir, 8, 24);
        shape[0] = 99;
        info.shape()[1] = 99;
        assertEquals("[2, 3]", info.shapeString());
        assertEquals(6, info.elementCount());
        assertEquals(new TensorInfo("t", DType.F32, new long[] {2, 3}, dir, 8, 24), info);
        assertEquals(new TensorInfo("t", DType.F32, new long[] {2, 3}, dir, 8, 24).hashCode(), info.hashCode());
        assertTrue(Arrays.equals(new long[] {2, 3}, info.shape()));
    }

    private static void assertShape(TensorStore store, String name, DType dtype, long... shape) {
        TensorInfo info = store.info(name);
        assertEquals(dtype, info.dtype(), name);
        assertArrayEquals(shape, info.shape(), name);
        assertEquals(info.elementCount() * dtype.byteSize(), info.byteLength(), name);
    }
}
