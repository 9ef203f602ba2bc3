package dev.stride.decoder.safetensors;

import static dev.stride.decoder.safetensors.HalfFloats.bf16ToF32;
import static dev.stride.decoder.safetensors.HalfFloats.f16ToF32;
import static dev.stride.decoder.safetensors.HalfFloats.f32ToBf16;
import static dev.stride.decoder.safetensors.HalfFloats.f32ToF16;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void f16KnownBitPatternsConvertBothWays() {
        assertF16(0x3c00, 1.0f);
        assertF16(0xc000, -2.0f);
        assertF16(0x3e00, 1.5f);
        assertF16(0x3555, 0.333251953125f);
        assertF16(0x7bff, 65504f);            // largest finite
        assertF16(0x0400, 0x1p-14f);          // smallest normal
        assertF16(0x03ff, 1023 * 0x1p-24f);   // largest subnormal
        assertF16(0x0001, 0x1p-24f);          // smallest subnormal
        assertF16(0x8001, -0x1p-24f);
        assertF16(0x0000, 0.0f);
        assertF16(0x8000, -0.0f);
        assertF16(0x7c00, Float.POSITIVE_INFINITY);
        assertF16(0xfc00, Float.NEGATIVE_INFINITY);
    }

    @Test
    void f16NaNStaysNaN() {
        assertTrue(Float.isNaN(f16ToF32((short) 0x7e00)));
        assertTrue(Float.isNaN(f16ToF32((short) 0x7c01)));
        assertTrue(Float.isNaN(f16ToF32((short) 0xfc01)));
        assertF16NaN(f32ToF16(Float.NaN));
        // Payload only in bits a plain shift would drop: must not become infinity.
        assertF16NaN(f32ToF16(Float.intBitsToFloat(0x7f800001)));
        assertF16NaN(f32ToF16(Float.intBitsToFloat(0xff800001)));
    }

    @Test
    void f16RoundsToNearestTiesToEven() {
        assertEquals((short) 0x3c00, f32ToF16(1 + 0x1p-11f));                  // tie, 0x3c00 even
        assertEquals((short) 0x3c02, f32ToF16(1 + 3 * 0x1p-11f));              // tie, 0x3c02 even
        assertEquals((short) 0x3c01, f32ToF16(Math.nextUp(1 + 0x1p-11f)));
        assertEquals((short) 0x7bff, f32ToF16(65519f));
        assertEquals((short) 0x7c00, f32ToF16(65520f));                        // tie between 65504 and 2^16
        assertEquals((short) 0x7c00, f32ToF16(1e6f));
        assertEquals((short) 0xfc00, f32ToF16(-1e6f));
        assertEquals((short) 0x7c00, f32ToF16(Float.MAX_VALUE));
        assertEquals((short) 0x0000, f32ToF16(0x1p-25f));                      // tie between 0 and 2^-24
        assertEquals((short) 0x0001, f32ToF16(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x0002, f32ToF16(3 * 0x1p-25f));                  // tie, 2 even
        assertEquals((short) 0x0000, f32ToF16(0x1p-26f));
        assertEquals((short) 0x0000, f32ToF16(Float.MIN_VALUE));
        assertEquals((short) 0x8000, f32ToF16(-Float.MIN_VALUE));
        assertEquals((short) 0x0400, f32ToF16(1023.5f * 0x1p-24f));            // subnormal rounds up into normal
    }

    /** Exactly the finite halves are recognised, every other float (any bits, near misses) is not. */
    @Test
    void exactF16BitsRecognisesExactlyTheFiniteHalves() {
        for (int h = 0; h <= 0xffff; h++) {
            float f = f16ToF32((short) h);
            int expected = Float.isFinite(f) ? h : -1;
            assertEquals(expected, HalfFloats.exactF16Bits(f), "f16 0x" + Integer.toHexString(h));
            if (Float.isFinite(f) && f != 0) {
                assertEquals(-1, HalfFloats.exactF16Bits(Math.nextUp(f)), "just above 0x" + Integer.toHexString(h));
            }
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int i = 0; i < 1_000_000; i++) {
            float f = Float.intBitsToFloat(random.nextInt());
            boolean exact = Float.isFinite(f) && Float.floatToRawIntBits(f16ToF32(f32ToF16(f)))
                    == Float.floatToRawIntBits(f);
            assertEquals(exact ? f32ToF16(f) & 0xffff : -1, HalfFloats.exactF16Bits(f), () -> Float.toString(f));
        }
    }

    @Test
    void everyF16ValueSurvivesARoundTrip() {
        for (int h = 0; h <= 0xffff; h++) {
            float f = f16ToF32((short) h);
            if (Float.isNaN(f)) {
                assertF16NaN(f32ToF16(f));
                continue;
            }
            int bits = h;
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(f16ToF32(f32ToF16(f))),
                    () -> "f16 0x" + Integer.toHexString(bits));
            assertEquals((short) h, f32ToF16(f), () -> "f16 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void everyF16MidpointRoundsToEvenAndNeighboursRoundToTheirSide() {
        for (int h = 0; h < 0x7c00; h++) {
            double low = f16ToF32((short) h);
            double high = h == 0x7bff ? 65536.0 : f16ToF32((short) (h + 1)); // past 65504 the next step is 2^16
            float mid = (float) ((low + high) / 2); // exact: one more significant bit than f16 has
            int even = (h & 1) == 0 ? h : h + 1;
            int bits = h;
            assertEquals((short) even, f32ToF16(mid), () -> "midpoint above 0x" + Integer.toHexString(bits));
            assertEquals((short) (even | 0x8000), f32ToF16(-mid), () -> "negative midpoint above 0x"
                    + Integer.toHexString(bits));
            assertEquals((short) h, f32ToF16(Math.nextDown(mid)), () -> "below midpoint 0x"
                    + Integer.toHexString(bits));
            assertEquals((short) (h + 1), f32ToF16(Math.nextUp(mid)), () -> "above midpoint 0x"
                    + Integer.toHexString(bits));
        }
    }

    @Test
    void bf16KnownBitPatternsConvertBothWays() {
        assertBf16(0x3f80, 1.0f);
        assertBf16(0xc000, -2.0f);
        assertBf16(0x7f7f, Float.intBitsToFloat(0x7f7f0000)); // largest finite
        assertBf16(0x0001, Float.intBitsToFloat(0x00010000)); // smallest subnormal
        assertBf16(0x8000, -0.0f);
        assertBf16(0x7f80, Float.POSITIVE_INFINITY);
        assertBf16(0xff80, Float.NEGATIVE_INFINITY);
    }

    @Test
    void bf16RoundsToNearestTiesToEvenAndKeepsNaN() {
        assertEquals((short) 0x3f80, f32ToBf16(Float.intBitsToFloat(0x3f808000))); // tie, even down
        assertEquals((short) 0x3f82, f32ToBf16(Float.intBitsToFloat(0x3f818000))); // tie, even up
        assertEquals((short) 0x3f81, f32ToBf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x3f80, f32ToBf16(Float.intBitsToFloat(0x3f807fff)));
        assertEquals((short) 0xbf82, f32ToBf16(Float.intBitsToFloat(0xbf818000)));
        assertEquals((short) 0x3eab, f32ToBf16(1.0f / 3));
        assertEquals((short) 0x7f80, f32ToBf16(Float.MAX_VALUE));
        assertTrue(Float.isNaN(bf16ToF32((short) 0x7fc0)));
        assertTrue(Float.isNaN(bf16ToF32(f32ToBf16(Float.NaN))));
        // Truncating this NaN would give 0x7f80, infinity.
        assertTrue(Float.isNaN(bf16ToF32(f32ToBf16(Float.intBitsToFloat(0x7f800001)))));
        assertTrue(Float.isNaN(bf16ToF32(f32ToBf16(Float.intBitsToFloat(0xffffffff)))));
    }

    @Test
    void everyBf16ValueSurvivesARoundTripAndEveryMidpointRoundsToEven() {
        for (int b = 0; b <= 0xffff; b++) {
            float f = bf16ToF32((short) b);
            if (Float.isNaN(f)) {
                continue;
            }
            int bits = b;
            assertEquals((short) b, f32ToBf16(f), () -> "bf16 0x" + Integer.toHexString(bits));
            if ((b & 0x7fff) < 0x7f80) { // finite: the float halfway to the next bf16 up in magnitude
                float mid = Float.intBitsToFloat((b << 16) | 0x8000);
                int even = (b & 1) == 0 ? b : b + 1;
                assertEquals((short) even, f32ToBf16(mid), () -> "midpoint above 0x" + Integer.toHexString(bits));
            }
        }
    }

    private static void assertF16(int bits, float value) {
        assertEquals(Float.floatToRawIntBits(value), Float.floatToRawIntBits(f16ToF32((short) bits)),
                () -> "f16ToF32(0x" + Integer.toHexString(bits) + ")");
        assertEquals((short) bits, f32ToF16(value), () -> "f32ToF16(" + value + ")");
    }

    private static void assertBf16(int bits, float value) {
        assertEquals(Float.floatToRawIntBits(value), Float.floatToRawIntBits(bf16ToF32((short) bits)),
                () -> "bf16ToF32(0x" + Integer.toHexString(bits) + ")");
        assertEquals((short) bits, f32ToBf16(value), () -> "f32ToBf16(" + value + ")");
    }

    private static void assertF16NaN(short h) {
        assertTrue((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0,
                () -> "not an f16 NaN: 0x" + Integer.toHexString(h & 0xffff));
    }
}
