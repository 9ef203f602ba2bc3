package dev.stride.decoder.safetensors;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The tensor element types Stride reads and writes. */
public enum DType {
    F32(4),
    F16(2),
    BF16(2);

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The dtype string used in safetensors headers. */
    public String safetensorsName() {
        return name();
    }

    /**
     * Parses a safetensors dtype string; unknown or unsupported ones (F64, I8, F8_E4M3, ...) throw a
     * {@link SafetensorsException} that starts with {@code where} (e.g. "file X, tensor Y") and lists supported dtypes.
     */
    public static DType parse(String name, String where) {
        for (DType type : values()) {
            if (type.safetensorsName().equals(name)) {
                return type;
            }
        }
        String supported = Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
        throw new SafetensorsException(where + ": unsupported dtype '" + name + "' (supported: " + supported + ")");
    }

    /** Element {@code index} of a little-endian buffer of this dtype, as float32. */
    float getFloat(ByteBuffer buffer, int index) {
        return switch (this) {
            case F32 -> buffer.getFloat(index * 4);
            case F16 -> HalfFloats.f16ToF32(buffer.getShort(index * 2));
            case BF16 -> HalfFloats.bf16ToF32(buffer.getShort(index * 2));
        };
    }

    /** Appends {@code value} in this dtype (rounded to nearest even) at the buffer's position. */
    void putFloat(ByteBuffer buffer, float value) {
        switch (this) {
            case F32 -> buffer.putFloat(value);
            case F16 -> buffer.putShort(HalfFloats.f32ToF16(value));
            case BF16 -> buffer.putShort(HalfFloats.f32ToBf16(value));
        }
    }
}
