package dev.stride.decoder.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-built safetensors bytes, so tests can produce files the writer never would. */
final class SafetensorsTestFiles {

    private SafetensorsTestFiles() {
    }

    /** Writes the 8-byte little-endian {@code headerLength}, then {@code header}, then {@code data}. */
    static Path write(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(headerLength).put(header).put(data);
        return Files.write(file, bytes.array());
    }

    /** A well-framed file: the header's true length, then {@code dataBytes} zero bytes. */
    static Path write(Path file, String headerJson, int dataBytes) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return write(file, header.length, header, new byte[dataBytes]);
    }

    /** {@code {"name": {"dtype": .., "shape": .., "data_offsets": ..}}} with the parts given as raw JSON. */
    static String tensorJson(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\": {\"dtype\": " + dtype + ", \"shape\": " + shape + ", \"data_offsets\": " + offsets
                + "}";
    }
}
