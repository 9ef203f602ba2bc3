package dev.stride.decoder.safetensors;

import static dev.stride.decoder.safetensors.SafetensorsTestFiles.tensorJson;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TensorStoreTest {

    @TempDir
    Path dir;

    private Path sample() {
        Path file = dir.resolve("lookup.safetensors");
        new SafetensorsWriter()
                .putFloats("proj", DType.BF16, new long[] {4, 3}, new float[12])
                .putFloats("norm", DType.F16, new long[] {3}, new float[] {1, 2, 3})
                .write(file);
        return file;
    }

    @Test
    void missingTensorNamesTensorAndFile() {
        try (TensorStore store = TensorStore.openFile(sample())) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> store.info("lm_head.weight"));
            assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
            assertTrue(e.getMessage().contains("lookup.safetensors"), e.getMessage());
            assertThrows(SafetensorsException.class, () -> store.data("lm_head.weight"));
        }
    }

    @Test
    void requireChecksTheShape() {
        try (TensorStore store = TensorStore.openFile(sample())) {
            assertEquals(DType.BF16, store.require("proj", 4, 3).dtype());
            assertEquals(3, store.require("norm", 3).elementCount());

            SafetensorsException wrong = assertThrows(SafetensorsException.class, () -> store.require("proj", 3, 4));
            String message = wrong.getMessage();
            assertTrue(message.contains("lookup.safetensors"), message);
            assertTrue(message.contains("'proj'"), message);
            assertTrue(message.contains("expected shape [3, 4] but found [4, 3]"), message);

            SafetensorsException rank = assertThrows(SafetensorsException.class, () -> store.require("norm", 3, 1));
            assertTrue(rank.getMessage().contains("expected shape [3, 1] but found [3]"), rank.getMessage());

            SafetensorsException missing = assertThrows(SafetensorsException.class, () -> store.require("bias", 3));
            assertTrue(missing.getMessage().contains("'bias' with expected shape [3] not found"), missing.getMessage());
            assertTrue(missing.getMessage().contains("lookup.safetensors"), missing.getMessage());
        }
    }

    @Test
    void mappingsAreCachedAndClosedStoresRefuseNewViews() {
        TensorStore store = TensorStore.openFile(sample());
        ByteBuffer view = store.data("norm");
        assertEquals(2.0f, HalfFloats.f16ToF32(view.getShort(2)));
        store.close();
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> store.data("norm"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(e.getMessage().contains("lookup.safetensors"), e.getMessage());
        store.close(); // idempotent
    }

    @Test
    void namesAndMetadataAreReadOnly() {
        try (TensorStore store = TensorStore.openFile(sample())) {
            assertThrows(UnsupportedOperationException.class, () -> store.names().remove("norm"));
            assertThrows(UnsupportedOperationException.class, () -> store.metadata().put("k", "v"));
            assertSame(store.info("norm"), store.info("norm"));
        }
    }

    /**
     * A sparse 2.4 GB file: a 2.4e9-byte tensor Java 17 cannot map, followed by a small tensor past the 2 GB mark
     * that must still be readable because mappings are per tensor.
     */
    @Test
    void tensorsOver2GiBFailClearlyWhileLaterTensorsStillMap() throws IOException {
        long bigBytes = 2_400_000_000L;
        String header = "{" + tensorJson("huge", "\"F32\"", "[600000000]", "[0, " + bigBytes + "]") + ", "
                + tensorJson("tail", "\"F32\"", "[2]", "[" + bigBytes + ", " + (bigBytes + 8) + "]") + "}";
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        Path file = dir.resolve("sparse-big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerBytes.length);
            raf.write(prefix.array());
            raf.write(headerBytes);
            raf.seek(8 + headerBytes.length + bigBytes);
            ByteBuffer tail = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 3.5f).putFloat(4, -1f);
            raf.write(tail.array()); // everything before this stays a hole
        }
        try (TensorStore store = TensorStore.openFile(file)) {
            assertEquals(bigBytes, store.info("huge").byteLength());
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> store.data("huge"));
            String message = e.getMessage();
            assertTrue(message.contains("sparse-big.safetensors") && message.contains("'huge'"), message);
            assertTrue(message.contains("2400000000 bytes cannot be mapped"), message);
            assertTrue(message.contains("Java 17 ByteBuffers hold at most 2147483647 bytes"), message);
            assertArrayEquals(new float[] {3.5f, -1f}, store.readFloats("tail"));
        }
    }
}
