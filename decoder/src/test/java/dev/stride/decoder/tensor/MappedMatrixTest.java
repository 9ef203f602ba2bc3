package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * Streamed rows widen every 16-bit pattern to the float32 the scalar conversion gives, bit for bit: zeros, subnormals,
 * normals, infinities and NaNs with their payloads, in the vector part of a row and in its scalar tail.
 */
class MappedMatrixTest {

    /** 65,536 patterns in rows of 257 columns: every vector width leaves a scalar tail in every row. */
    private static final int COLS = 257;
    private static final int ROWS = (65536 + COLS - 1) / COLS;

    private static MappedMatrix everyHalf(DType dtype) {
        ByteBuffer data = ByteBuffer.allocate(ROWS * COLS * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < ROWS * COLS; i++) {
            data.putShort((short) i);
        }
        return MappedMatrix.of(dtype, data.flip(), ROWS, COLS);
    }

    private static void assertWidensEveryPattern(DType dtype) {
        MappedMatrix m = everyHalf(dtype);
        float[] row = new float[COLS];
        for (int r = 0; r < ROWS; r++) {
            m.loadRow(r, row, 0);
            for (int c = 0; c < COLS; c++) {
                short half = (short) (r * COLS + c);
                float expected = dtype == DType.F16 ? HalfFloats.f16ToF32(half) : HalfFloats.bf16ToF32(half);
                String where = dtype + " bits 0x" + Integer.toHexString(half & 0xffff);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(row[c]), where);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(m.get(r, c)), where);
            }
        }
    }

    @Test
    void f16RowsWidenEveryPatternAsTheScalarConversion() {
        assertWidensEveryPattern(DType.F16);
    }

    @Test
    void bf16RowsWidenEveryPatternAsTheScalarConversion() {
        assertWidensEveryPattern(DType.BF16);
    }
}
