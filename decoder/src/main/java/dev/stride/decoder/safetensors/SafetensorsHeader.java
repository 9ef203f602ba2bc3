package dev.stride.decoder.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated header of one safetensors file. Only the header is read onto the heap; every tensor's byte range is
 * checked against the file size, its shape and dtype, and the other tensors, so mapping it later cannot fail on layout.
 *
 * @param metadata the {@code __metadata__} entries, in file order
 * @param tensors the tensors in header order
 */
record SafetensorsHeader(Map<String, String> metadata, Map<String, TensorInfo> tensors) {

    /** Same cap as the reference implementation, so a corrupt length cannot trigger a huge allocation. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsException(where(file) + ": file is " + fileSize
                    + " bytes, too short to hold the 8-byte header length");
        }
        long headerLength = readFully(file, channel, 0, 8).getLong();
        // An unsigned length above Long.MAX_VALUE reads as negative here, which the first test rejects.
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
            throw new SafetensorsException(where(file) + ": truncated or corrupt header: header length "
                    + Long.toUnsignedString(headerLength) + " (file size " + fileSize + ", at most "
                    + MAX_HEADER_BYTES + " allowed)");
        }
        JsonNode root = parseJson(file, readFully(file, channel, 8, (int) headerLength));
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;

        Map<String, String> metadata = Map.of();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                tensors.put(field.getKey(), parseTensor(file, field.getKey(), field.getValue(), dataStart, dataSize));
            }
        }
        checkNoOverlap(file, tensors.values(), dataStart);
        return new SafetensorsHeader(metadata, Collections.unmodifiableMap(tensors));
    }

    static String where(Path file) {
        return "safetensors file " + file;
    }

    static String where(Path file, String tensor) {
        return where(file) + ", tensor '" + tensor + "'";
    }

    private static ByteBuffer readFully(Path file, FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new SafetensorsException(where(file)
                        + ": truncated or corrupt header: file ended while reading it");
            }
        }
        return buffer.flip();
    }

    private static JsonNode parseJson(Path file, ByteBuffer headerBytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes)
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(where(file) + ": header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(where(file) + ": header is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(where(file) + ": header is not a JSON object");
        }
        return root;
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new SafetensorsException(where(file) + ": " + METADATA_KEY + " must be an object of strings, found "
                    + node.getNodeType());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(where(file) + ": " + METADATA_KEY + " value for '" + entry.getKey()
                        + "' must be a string, found " + entry.getValue().getNodeType());
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node, long dataStart, long dataSize) {
        String where = where(file, name);
        if (!node.isObject()) {
            throw new SafetensorsException(where + ": entry must be a JSON object, found " + node.getNodeType());
        }
        JsonNode dtypeNode = required(where, node, "dtype");
        if (!dtypeNode.isTextual()) {
            throw new SafetensorsException(where + ": 'dtype' must be a string, found " + dtypeNode);
        }
        DType dtype = DType.parse(dtypeNode.textValue(), where);
        long[] shape = longs(where, node, "shape");
        long[] offsets = longs(where, node, "data_offsets");

        for (long dim : shape) {
            if (dim < 0) {
                throw new SafetensorsException(where + ": negative dimension " + dim + " in shape "
                        + Arrays.toString(shape));
            }
        }
        if (offsets.length != 2) {
            throw new SafetensorsException(where + ": 'data_offsets' must be [begin, end], found "
                    + Arrays.toString(offsets));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || begin > end) {
            throw new SafetensorsException(where + ": invalid data_offsets " + Arrays.toString(offsets)
                    + " (need 0 <= begin <= end)");
        }
        if (end > dataSize) {
            throw new SafetensorsException(where + ": truncated file: data_offsets " + Arrays.toString(offsets)
                    + " reach past the " + dataSize + " bytes of tensor data");
        }
        long expectedBytes;
        try {
            expectedBytes = Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + ": shape " + Arrays.toString(shape) + " is too large", e);
        }
        if (end - begin != expectedBytes) {
            throw new SafetensorsException(where + ": data_offsets " + Arrays.toString(offsets) + " span "
                    + (end - begin) + " bytes, but shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + expectedBytes + " bytes");
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    private static JsonNode required(String where, JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        if (value == null) {
            throw new SafetensorsException(where + ": missing '" + field + "'");
        }
        return value;
    }

    private static long[] longs(String where, JsonNode entry, String field) {
        JsonNode array = required(where, entry, field);
        if (!array.isArray()) {
            throw new SafetensorsException(where + ": '" + field + "' must be an array of integers, found " + array);
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = array.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong()) {
                throw new SafetensorsException(where + ": '" + field + "' must be an array of integers, found "
                        + array);
            }
            values[i] = element.longValue();
        }
        return values;
    }

    private static void checkNoOverlap(Path file, Iterable<TensorInfo> tensors, long dataStart) {
        List<TensorInfo> byOffset = new ArrayList<>();
        for (TensorInfo tensor : tensors) {
            if (tensor.byteLength() > 0) { // empty tensors occupy no bytes and cannot overlap anything
                byOffset.add(tensor);
            }
        }
        byOffset.sort(Comparator.comparingLong(TensorInfo::dataOffset));
        for (int i = 1; i < byOffset.size(); i++) {
            TensorInfo previous = byOffset.get(i - 1);
            TensorInfo current = byOffset.get(i);
            if (current.dataOffset() < previous.dataOffset() + previous.byteLength()) {
                throw new SafetensorsException(where(file) + ": tensors '" + previous.name() + "' "
                        + offsets(previous, dataStart) + " and '" + current.name() + "' "
                        + offsets(current, dataStart) + " overlap");
            }
        }
    }

    private static String offsets(TensorInfo tensor, long dataStart) {
        long begin = tensor.dataOffset() - dataStart;
        return "[" + begin + ", " + (begin + tensor.byteLength()) + "]";
    }
}
