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

    /** The type numbered {@code id}; any other ggml type (Q4_0, Q5_1, the k-quants, ...) is an error naming it. */
    static GgmlType of(int id, String where) {
        for (GgmlType type : values()) {
            if (type.id == id) {
                return type;
            }
        }
        throw new GgufException(where + " has ggml type " + id + ", which Stride does not import (it imports F32,"
                + " F16, BF16 and Q8_0 tensors: use a Q8_0 or F16 file of the model, or its Hugging Face checkpoint)");
    }
}
