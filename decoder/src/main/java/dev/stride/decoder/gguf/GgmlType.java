package dev.stride.decoder.gguf;

/**
 * The tensor types Stride imports from GGUF, with ggml's numbers: blocks of {@code blockSize} elements stored in
 * {@code blockBytes} bytes. A Q8_0 block is a float16 scale followed by 32 signed 8-bit integers.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q8_0(8, 32, 34),
    BF16(30, 1, 2);

    private final int id;
    private final int blockSize;
    private final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public int id() {
        return id;
    }

    public int blockSize() {
        return blockSize;
    }

    public int blockBytes() {
        return blockBytes;
    }

    /** The type numbered {@code id}; other ggml types (the 2-6 bit quantizations, ...) are an error naming it. */
    static GgmlType of(int id, String where) {
        for (GgmlType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        throw new GgufException(where + " has ggml type " + id + ", which Stride does not import (supported: F32,"
                + " F16, BF16, Q8_0; requantize the file to one of them, e.g. with llama.cpp's llama-quantize)");
    }
}
