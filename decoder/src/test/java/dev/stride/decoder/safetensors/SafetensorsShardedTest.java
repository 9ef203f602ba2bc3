package dev.stride.decoder.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsShardedTest {

    private static final String INDEX = "model.safetensors.index.json";

    @TempDir
    Path dir;

    /** Five 64-byte tensors t0..t4, t_i filled with i + j/16. */
    private static SafetensorsWriter fiveTensors() {
        SafetensorsWriter writer = new SafetensorsWriter().metadata("format", "pt");
        for (int i = 0; i < 5; i++) {
            writer.putFloats("t" + i, DType.F32, new long[] {4, 4}, values(i));
        }
        return writer;
    }

    private static float[] values(int tensor) {
        float[] values = new float[16];
        for (int j = 0; j < values.length; j++) {
            values[j] = tensor + j / 16f;
        }
        return values;
    }

    @Test
    void shardsRespectTheSizeLimitAndReadBackAsOneStore() throws IOException {
        fiveTensors().writeSharded(dir, 150);

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors", INDEX),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        JsonNode index = new ObjectMapper().readTree(Files.readString(dir.resolve(INDEX), StandardCharsets.UTF_8));
        assertEquals(320, index.get("metadata").get("total_size").longValue());
        assertEquals("model-00001-of-00003.safetensors", index.get("weight_map").get("t1").textValue());
        assertEquals("model-00002-of-00003.safetensors", index.get("weight_map").get("t2").textValue());
        assertEquals("model-00003-of-00003.safetensors", index.get("weight_map").get("t4").textValue());

        try (TensorStore store = TensorStore.openDirectory(dir)) {
            assertEquals(List.of("t0", "t1", "t2", "t3", "t4"), List.copyOf(store.names()));
            assertEquals(Map.of("format", "pt"), store.metadata());
            for (int i = 0; i < 5; i++) {
                assertArrayEquals(values(i), store.readFloats("t" + i), "t" + i);
            }
            assertEquals(dir.resolve("model-00002-of-00003.safetensors"), store.require("t3", 4, 4).file());
        }
    }

    @Test
    void aTensorLargerThanTheLimitGetsAShardOfItsOwn() throws IOException {
        fiveTensors().writeSharded(dir, 10);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(6, files.count());
        }
        try (TensorStore store = TensorStore.openDirectory(dir)) {
            assertArrayEquals(values(4), store.readFloats("t4"));
            assertEquals(dir.resolve("model-00005-of-00005.safetensors"), store.info("t4").file());
        }
    }

    @Test
    void singleFileTakesPrecedenceOverAnIndex() {
        fiveTensors().writeSharded(dir, 150);
        new SafetensorsWriter().putFloats("solo", DType.F16, new long[] {1}, new float[] {2f})
                .write(dir.resolve("model.safetensors"));
        try (TensorStore store = TensorStore.openDirectory(dir)) {
            assertEquals(List.of("solo"), List.copyOf(store.names()));
        }
    }

    @Test
    void directoryWithoutModelFilesIsNamedWithWhatWasLookedFor() {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> TensorStore.openDirectory(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("neither model.safetensors nor " + INDEX), e.getMessage());
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Files.writeString(dir.resolve(INDEX), "{\"metadata\": {\"total_size\": 0}}");
        assertOpenDirectoryFails(INDEX, "missing 'weight_map'");
    }

    @Test
    void indexThatIsNotJson() throws IOException {
        Files.writeString(dir.resolve(INDEX), "{\"weight_map\": ");
        assertOpenDirectoryFails(INDEX, "cannot read or parse");
    }

    @Test
    void indexEntryThatIsNotAFileName() throws IOException {
        Files.writeString(dir.resolve(INDEX), "{\"weight_map\": {\"t0\": 1}}");
        assertOpenDirectoryFails(INDEX, "entry for tensor 't0' must be a shard file name");
    }

    @Test
    void indexEntryOutsideTheModelDirectory() throws IOException {
        fiveTensors().writeSharded(dir.resolve("elsewhere"), 150);
        Path index = dir.resolve(INDEX);
        String shard = dir.resolve("elsewhere/model-00001-of-00003.safetensors").toString();
        for (String name : List.of("../" + dir.getFileName() + "/elsewhere/model-00001-of-00003.safetensors",
                "elsewhere/model-00001-of-00003.safetensors", shard.replace("\\", "\\\\"), "..", ".")) {
            Files.writeString(index, "{\"weight_map\": {\"t0\": \"" + name + "\"}}");
            assertOpenDirectoryFails(INDEX, "entry for tensor 't0'", "must be a shard file name in the index's"
                    + " directory");
        }
    }

    @Test
    void shardFileMissing() throws IOException {
        fiveTensors().writeSharded(dir, 150);
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        assertOpenDirectoryFails(INDEX, "to shard model-00002-of-00003.safetensors", "does not exist");
    }

    @Test
    void tensorListedInTheIndexButNotInItsShard() throws IOException {
        fiveTensors().writeSharded(dir, 150);
        Path index = dir.resolve(INDEX);
        Files.writeString(index, Files.readString(index).replace("\"t4\" : \"model-00003", "\"t4\" : \"model-00001"));
        assertOpenDirectoryFails(INDEX, "tensor 't4'", "model-00001-of-00003.safetensors", "has no such tensor");
    }

    @Test
    void corruptShardIsNamed() throws IOException {
        fiveTensors().writeSharded(dir, 150);
        Files.write(dir.resolve("model-00003-of-00003.safetensors"), new byte[3]);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> TensorStore.openDirectory(dir));
        assertTrue(e.getMessage().contains("model-00003-of-00003.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("too short"), e.getMessage());
    }

    private void assertOpenDirectoryFails(String fileName, String... expectedParts) {
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> TensorStore.openDirectory(dir).close());
        String message = e.getMessage();
        assertTrue(message.contains(dir.resolve(fileName).toString()),
                () -> "message does not name the file: " + message);
        for (String part : expectedParts) {
            assertTrue(message.contains(part), () -> "expected '" + part + "' in: " + message);
        }
    }
}
