package dev.stride.decoder.safetensors;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lives.
 *
 * @param name tensor name as in the header
 * @param dtype element type
 * @param shape dimensions, outermost first; empty for a scalar (copied in and out, so callers cannot alter it)
 * @param file the safetensors file holding the data
 * @param dataOffset absolute byte offset of the data in {@code file}
 * @param byteLength number of data bytes
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long dataOffset, long byteLength) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(file, "file");
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Product of the dimensions (1 for a scalar). */
    public long elementCount() {
        return elementCount(shape);
    }

    /** The shape as {@code [2048, 192]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    // Records compare arrays by identity; shapes must compare by content.
    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name) && dtype == that.dtype && Arrays.equals(shape, that.shape)
                && file.equals(that.file) && dataOffset == that.dataOffset && byteLength == that.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), file, dataOffset, byteLength);
    }

    @Override
    public String toString() {
        return "TensorInfo[" + name + " " + dtype + " " + shapeString() + " in " + file
                + " at " + dataOffset + ", " + byteLength + " bytes]";
    }
}
