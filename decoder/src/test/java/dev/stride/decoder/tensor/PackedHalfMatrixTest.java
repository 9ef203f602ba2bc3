package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** F16 panels widen every finite half exactly, and refuse what their widening cannot represent. */
class PackedHalfMatrixTest {

    private static final int FINITE_HALVES = (1 << 16) - 2 * 1024; // less the exponent-31 patterns

    /** Every finite F16 bit pattern, in a matrix one panel tall: each pattern lands once in an even column pair. */
    private static WeightMatrix everyFiniteHalf(int shift) {
        int rows = PackedMatrix.PANEL;
        int cols = FINITE_HALVES / rows;
        ByteBuffer bytes = ByteBuffer.allocateDirect(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int bits = 0; bits < 1 << 16; bits++) {
            int half = (bits + shift) & 0xffff;
            if ((half & 0x7c00) != 0x7c00) {
                bytes.putShort((short) half);
            }
        }
        return MappedMatrix.of(DType.F16, bytes.flip(), rows, cols);
    }

    @Test
    void everyFiniteF16WidensToItsExactValueInEitherHalfOfAPair() {
        for (int shift : new int[] {0, 1}) { // the same pattern in the other column of its pair
            WeightMatrix stored = everyFiniteHalf(shift);
            PackedHalfMatrix packed = PackedHalfMatrix.pack(stored);
            assertEquals(DType.F16, packed.dtype());
            int cols = stored.cols();
            float[] widened = new float[cols * PackedMatrix.PANEL];
            packed.widenPanels(0, 1, widened);
            for (int r = 0; r < stored.rows(); r++) {
                for (int c = 0; c < cols; c++) {
                    int expected = Float.floatToRawIntBits(stored.get(r, c));
                    assertEquals(expected, Float.floatToRawIntBits(widened[c * PackedMatrix.PANEL + r]),
                            () -> "widened " + Float.intBitsToFloat(expected));
                    assertEquals(expected, Float.floatToRawIntBits(packed.get(r, c)));
                }
            }
        }
    }

    @Test
    void nonFiniteF16StaysAsStored() {
        ArrayMatrix values = new ArrayMatrix(3, 5);
        values.values()[7] = Float.NEGATIVE_INFINITY;
        ByteBuffer bytes = ByteBuffer.allocateDirect(15 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values.values()) {
            bytes.putShort(HalfFloats.f32ToF16(v));
        }
        WeightMatrix stored = MappedMatrix.of(DType.F16, bytes.flip(), 3, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedHalfMatrix.pack(stored));
        assertTrue(e.getMessage().contains("infinity or a NaN"), e.getMessage());
        assertSame(stored, PackedHalfMatrix.packOrKeep(stored));
        assertSame(stored, WeightLayout.PACKED_FLOAT16.hold(stored), "left to the streamed kernels, which widen it");
        assertInstanceOf(PackedMatrix.class, WeightLayout.Q8_KEEP_HEAD.holdHead(stored), "float32 panels hold it");
    }
}
