package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Q8_0 quantization at load: known values, rounding, edge blocks, error bounds and determinism. */
class PackedQ8MatrixTest {

    private static final float UNIT = 0x1p-6f; // a scale float16 holds exactly: max|w| = 127 units

    @Test
    void knownBlockRoundsHalvesAwayFromZeroWithTheMaximumAtANegativeWeight() {
        float[] row = new float[32];
        float[] units = {-127, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, 0, 1, 126.5f, -0.49f};
        for (int i = 0; i < units.length; i++) {
            row[i] = units[i] * UNIT;
        }
        PackedQ8Matrix q = PackedQ8Matrix.quantize(new ArrayMatrix(row, 1, 32));
        assertEquals(UNIT, q.scale(0, 0), "scale = max|w| / 127, from the negative maximum");
        assertEquals((short) 0x2400, q.scales()[0], "stored as float16 2^-6");
        int[] expected = {-127, 3, -3, 1, -1, 1, 0, 1, 127, 0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], q.quant(0, i), "weight " + units[i] + " units");
            assertEquals(expected[i] * UNIT, q.get(0, i), "dequantized q * s");
        }
    }

    @Test
    void zeroBlockHasZeroScaleAndPartialBlocksAndPanelsAreQuantizedOnTheirOwn() {
        int rows = PackedMatrix.PANEL + 3; // a partial tile, padded with zero rows
        int cols = 32 + 32 + 7; // a zero block, then a partial one
        float[] values = new float[rows * cols];
        Random random = new Random(3);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                values[r * cols + c] = c >= 32 && c < 64 ? 0f : (float) random.nextGaussian();
            }
        }
        PackedQ8Matrix q = PackedQ8Matrix.quantize(new ArrayMatrix(values, rows, cols));
        assertEquals(3, q.blockCount());
        assertEquals((rows + PackedQ8Matrix.TILE - 1) / PackedQ8Matrix.TILE, q.tileCount());
        for (int r = 0; r < rows; r++) {
            assertEquals(0f, q.scale(r, 1));
            for (int c = 0; c < cols; c++) {
                int block = c / 32;
                float w = values[r * cols + c];
                float max = 0;
                for (int j = block * 32; j < Math.min(cols, block * 32 + 32); j++) {
                    max = Math.max(max, Math.abs(values[r * cols + j]));
                }
                assertEquals(HalfFloats.f16ToF32(HalfFloats.f32ToF16(max / 127f)), q.scale(r, block),
                        "row " + r + " block " + block);
                assertTrue(Math.abs(q.get(r, c) - w) <= q.scale(r, block) / 2 * (1 + 1e-6f),
                        "row " + r + " column " + c + ": " + w + " read back as " + q.get(r, c));
            }
        }
        float[] row = new float[cols];
        q.loadRow(rows - 1, row, 0);
        assertEquals(q.get(rows - 1, cols - 1), row[cols - 1]);
    }

    @Test
    void roundingWithoutDivisionEqualsExactRationalRounding() {
        Random random = new Random(12);
        for (int i = 0; i < 200_000; i++) {
            double scale = HalfFloats.f16ToF32((short) (1 + random.nextInt(0x7bff)));
            int step = random.nextInt(260) - 130;
            // exact halfway points, their float neighbours, and arbitrary values
            float w = switch (i % 3) {
                case 0 -> (float) ((step + 0.5) * scale);
                case 1 -> Math.nextUp((float) ((step + 0.5) * scale));
                default -> (float) ((step + random.nextDouble()) * scale);
            };
            java.math.BigDecimal exact = new java.math.BigDecimal(w).divide(new java.math.BigDecimal(scale),
                    java.math.MathContext.DECIMAL128);
            int expected = exact.setScale(0, java.math.RoundingMode.HALF_UP).intValue(); // HALF_UP: away from zero
            expected = Math.max(-127, Math.min(127, expected));
            assertEquals(expected, PackedQ8Matrix.roundHalfAway(w, scale, 1 / scale), w + " / " + scale);
        }
    }

    @Test
    void subnormalScaleThatRoundsDownClampsTheMaximumTo127() {
        float[] row = new float[32];
        row[0] = 127 * 1.4f * 0x1p-24f; // max / 127 = 1.4 float16 subnormal units: stored as 1 unit
        row[1] = -row[0];
        row[2] = 3 * 0x1p-24f;
        PackedQ8Matrix q = PackedQ8Matrix.quantize(new ArrayMatrix(row, 1, 32));
        assertEquals(0x1p-24f, q.scale(0, 0));
        assertEquals(127, q.quant(0, 0));
        assertEquals(-127, q.quant(0, 1));
        assertEquals(3, q.quant(0, 2));
    }

    @Test
    void quantizationIsAPureFunctionOfTheValuesWhateverTheirDtype() {
        Random random = new Random(8);
        int rows = 37;
        int cols = 96;
        ByteBuffer bf16 = ByteBuffer.allocateDirect(rows * cols * 2).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f32 = ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) {
            short bits = HalfFloats.f32ToBf16((float) random.nextGaussian() * 0.05f);
            bf16.putShort(bits);
            f32.putFloat(HalfFloats.bf16ToF32(bits));
        }
        PackedQ8Matrix a = PackedQ8Matrix.quantize(MappedMatrix.of(DType.BF16, bf16.flip(), rows, cols));
        PackedQ8Matrix b = PackedQ8Matrix.quantize(MappedMatrix.of(DType.BF16, bf16, rows, cols));
        PackedQ8Matrix c = PackedQ8Matrix.quantize(MappedMatrix.of(DType.F32, f32.flip(), rows, cols));
        assertArrayEquals(a.quants(), b.quants());
        assertArrayEquals(a.scales(), b.scales());
        assertArrayEquals(a.quants(), c.quants(), "F32 holding the same values");
        assertArrayEquals(a.scales(), c.scales());
        assertEquals(DType.BF16, a.dtype());
        assertEquals(a.quants().length + 2L * a.scales().length, a.byteSize());
    }

    @Test
    void weightsFloat16ScalesCannotHoldAreErrorsNamingRowAndColumn() {
        float[] values = new float[2 * 32];
        values[32 + 5] = Float.NaN;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PackedQ8Matrix.quantize(new ArrayMatrix(values, 2, 32)));
        assertTrue(e.getMessage().contains("row 1 column 5"), e.getMessage());
        values[32 + 5] = 1e7f;
        assertThrows(IllegalArgumentException.class, () -> PackedQ8Matrix.quantize(new ArrayMatrix(values, 2, 32)));
    }
}
