package dev.stride.decoder.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code model.safetensors.index.json}: which shard file holds each tensor of a sharded checkpoint. */
final class ShardIndex {

    static final String FILE_NAME = "model.safetensors.index.json";

    private ShardIndex() {
    }

    /** Reads the {@code weight_map}: tensor name to shard file name (relative to the index's directory). */
    static Map<String, String> readWeightMap(Path indexFile) {
        String where = "safetensors index " + indexFile;
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readAllBytes(indexFile));
        } catch (IOException e) {
            throw new SafetensorsException(where + ": cannot read or parse: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(where + ": not a JSON object");
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null) {
            throw new SafetensorsException(where + ": missing 'weight_map'");
        }
        if (!weightMap.isObject()) {
            throw new SafetensorsException(where + ": 'weight_map' must be an object, found "
                    + weightMap.getNodeType());
        }
        Map<String, String> shards = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(where + ": 'weight_map' entry for tensor '" + entry.getKey()
                        + "' must be a shard file name, found " + entry.getValue());
            }
            String shard = entry.getValue().textValue();
            if (!isPlainFileName(shard)) {
                // transformers writes bare file names; anything else would open files outside the model directory.
                throw new SafetensorsException(where + ": 'weight_map' entry for tensor '" + entry.getKey()
                        + "' must be a shard file name in the index's directory, found '" + shard + "'");
            }
            shards.put(entry.getKey(), shard);
        }
        return shards;
    }

    private static boolean isPlainFileName(String name) {
        try {
            Path path = Path.of(name);
            return !path.isAbsolute() && path.getNameCount() == 1 && !name.equals(".") && !name.equals("..")
                    && !name.isEmpty();
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** Writes an index in the layout transformers writes: total data bytes plus the weight map. */
    static void write(Path indexFile, long totalSize, Map<String, String> weightMap) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.putObject("metadata").put("total_size", totalSize);
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        byte[] json;
        try {
            json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (IOException e) {
            throw new SafetensorsException("cannot encode safetensors index " + indexFile + ": " + e.getMessage(), e);
        }
        AtomicFiles.write(indexFile, List.of(ByteBuffer.wrap(json)));
    }
}
