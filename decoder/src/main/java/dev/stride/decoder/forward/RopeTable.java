package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;
import java.util.Arrays;

/**
 * Rotary cos/sin per position, computed in double once and cached as float, grown on demand. StrictMath, not
 * Math: Math's sine and cosine may use CPU-specific intrinsics, and these tables reach every key and query.
 */
public final class RopeTable {

    private final double[] inverseFrequencies; // (headDim / 2)
    private final int half;
    private float[] cos = new float[0]; // (positions, headDim / 2)
    private float[] sin = new float[0];
    private int positions;

    public RopeTable(ModelConfig config) {
        this.inverseFrequencies = config.ropeScaling().inverseFrequencies(config.ropeTheta(), config.headDim());
        this.half = config.headDim() / 2;
    }

    /** Makes positions [0, upTo) available. Not thread-safe: called before a pass starts. */
    void ensure(int upTo) {
        if (upTo <= positions) {
            return;
        }
        int n = Math.max(upTo, Math.min(2 * positions, upTo + 4096));
        cos = Arrays.copyOf(cos, n * half);
        sin = Arrays.copyOf(sin, n * half);
        for (int p = positions; p < n; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * inverseFrequencies[i];
                cos[p * half + i] = (float) StrictMath.cos(angle);
                sin[p * half + i] = (float) StrictMath.sin(angle);
            }
        }
        positions = n;
    }

    /** cos and sin of positions [0, upTo), each (position, headDim / 2): the values {@link #rotate} uses. */
    public float[][] table(int upTo) {
        ensure(upTo);
        return new float[][] {Arrays.copyOf(cos, upTo * half), Arrays.copyOf(sin, upTo * half)};
    }

    /** Rotates one head vector in place, Hugging Face rotate_half convention: pairs (i, i + headDim/2). */
    void rotate(float[] x, int offset, int position) {
        int base = position * half;
        for (int i = 0; i < half; i++) {
            float c = cos[base + i];
            float s = sin[base + i];
            float a = x[offset + i];
            float b = x[offset + i + half];
            x[offset + i] = a * c - b * s;
            x[offset + i + half] = b * c + a * s;
        }
    }
}
