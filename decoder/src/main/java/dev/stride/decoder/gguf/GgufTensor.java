package dev.stride.decoder.gguf;

/**
 * One tensor of a GGUF file.
 *
 * @param dims dimensions as GGUF lists them, innermost (contiguous) first: a (rows, cols) matrix is {cols, rows}
 * @param offset byte offset of the data: in the file, once {@link GgufFile} has placed the tensor (relative to the
 *     data section as the tensor directory gives it, before)
 */
public record GgufTensor(String name, long[] dims, GgmlType type, long offset, long byteLength) {

    public GgufTensor {
        dims = dims.clone();
    }

    static GgufTensor of(String name, long[] dims, GgmlType type, long relativeOffset, String file) {
        if (dims[0] % type.blockSize() != 0) {
            throw new GgufException(file + ": tensor '" + name + "' of type " + type + " has " + dims[0]
                    + " elements per row, not a multiple of its block size " + type.blockSize());
        }
        long elements = 1;
        for (long d : dims) {
            elements = Math.multiplyExact(elements, d);
        }
        long bytes = Math.multiplyExact(elements / type.blockSize(), type.blockBytes());
        return new GgufTensor(name, dims, type, relativeOffset, bytes);
    }

    GgufTensor placedAt(long dataStart) {
        return new GgufTensor(name, dims, type, dataStart + offset, byteLength);
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** Elements per row (the innermost dimension). */
    public long cols() {
        return dims[0];
    }

    /** Rows: the product of the outer dimensions (1 for a vector). */
    public long rows() {
        long rows = 1;
        for (int d = 1; d < dims.length; d++) {
            rows *= dims[d];
        }
        return rows;
    }

    /** Bytes of one row. */
    public long rowBytes() {
        return dims[0] / type.blockSize() * type.blockBytes();
    }
}
