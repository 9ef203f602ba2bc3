package dev.stride.decoder.safetensors;

/**
 * Scalar float16 / bfloat16 conversions with exact IEEE 754 semantics: subnormals, signed zeros, infinities and NaN
 * are preserved, and narrowing rounds to nearest, ties to even. (Java 17 has no Float.floatToFloat16.)
 */
public final class HalfFloats {

    private HalfFloats() {
    }

    public static float f16ToF32(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            // Infinity or NaN; shifting the mantissa up keeps a NaN payload non-zero.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float32.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /**
     * The float16 bits of {@code f} if it is exactly a finite float16 value, else -1: what packing F16 weights needs,
     * without rounding and without a conversion back to check it (a fifth of the cost of both).
     */
    public static int exactF16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent > 112) { // a normal half (exponent 1-30) if in range and no mantissa bit falls off
            return exponent < 143 && (mantissa & 0x1fff) == 0 ? sign | (exponent - 112) << 10 | mantissa >>> 13 : -1;
        }
        float units = Math.abs(f) * 0x1p24f; // below 2^-14: zero or a subnormal half, a whole number of 2^-24
        int whole = (int) units;
        return whole == units ? sign | whole : -1;
    }

    public static short f32ToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            // Infinity stays infinity; NaN stays NaN (quiet bit set, so a low-bits-only payload cannot become inf).
            return (short) (sign | 0x7c00 | (mantissa == 0 ? 0 : 0x200 | (mantissa >>> 13)));
        }
        int halfExponent = exponent - 112; // rebias 127 -> 15
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00); // >= 2^16, beyond the rounding range of 65504
        }
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign; // at most 2^-26, below half the smallest subnormal
            }
            // Subnormal result: scale the full significand so one unit is 2^-24. Rounding up to 0x400 yields the
            // smallest normal, which is the correct encoding.
            return (short) (sign | roundShift(mantissa | 0x800000, 14 - halfExponent));
        }
        // Normal result; a carry out of the mantissa correctly bumps the exponent, up to infinity.
        return (short) (sign | roundShift((halfExponent << 23) | mantissa, 13));
    }

    public static float bf16ToF32(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    public static short f32ToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40); // quiet bit keeps it NaN even if the payload sat in the low half
        }
        // Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even; overflow carries into infinity.
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** {@code value >>> shift}, rounded to nearest, ties to even. */
    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        return rest > halfway || (rest == halfway && (kept & 1) != 0) ? kept + 1 : kept;
    }
}
