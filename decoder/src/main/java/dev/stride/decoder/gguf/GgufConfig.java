package dev.stride.decoder.gguf;

import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.model.RopeScaling;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A GGUF file's shape as a {@link ModelConfig}: the architecture from {@code general.architecture} ({@code llama},
 * or {@code qwen2}: Llama with q/k/v biases), dimensions from its keys ({@code llama.*}, {@code qwen2.*}), the
 * vocabulary from the token embedding's rows, tied embeddings when there is no {@code output.weight}.
 *
 * <p>Rotary scaling: {@code rope.scaling.type = linear} maps to linear scaling, as does a factor with no type
 * ({@code rope.scaling.factor} or the older {@code rope.scale_linear}: llama.cpp's default type is linear, and
 * {@code none} ignores the factor). Llama 3.1-style scaling reaches GGUF only as its result,
 * {@code rope_freqs.weight}: one divisor per frequency (1 for short wavelengths,
 * the factor for long ones, a blend between). Hugging Face's parameters are recovered from it: the factor is the
 * largest divisor, and in the blended band the blend weight s = (1/d - 1/factor) / (1 - 1/factor) is linear in
 * 1/wavelength, s = original / (wavelength * (high - low)) - low / (high - low), so a line through the band's
 * points gives low and high for a chosen original context length
 * ({@code rope.scaling.original_context_length}, else Llama 3's 8192: scaling all three alike gives the same
 * divisors, so any choice reproduces the file). The recovered parameters must reproduce every divisor to float32
 * precision, or the import fails.
 */
final class GgufConfig {

    static final String ROPE_FREQS = "rope_freqs.weight";
    private static final int LLAMA3_ORIGINAL_CONTEXT = 8192;
    /** Divisors are stored as float32; recomputed ones must agree with them to this relative difference. */
    private static final double DIVISOR_TOLERANCE = 1e-5;

    private GgufConfig() {
    }

    /** The architectures the import knows, by their GGUF names. */
    static Architecture architecture(GgufFile f) {
        String name = f.require("general.architecture", String.class);
        return switch (name) {
            case "llama" -> Architecture.LLAMA;
            case "qwen2" -> Architecture.QWEN2;
            default -> throw new GgufException(f.path() + ": general.architecture '" + name + "' is not supported"
                    + " (Stride imports llama and qwen2)");
        };
    }

    static ModelConfig of(GgufFile f) {
        Architecture arch = architecture(f);
        String k = arch == Architecture.LLAMA ? "llama." : "qwen2.";
        if (f.optionalInt(k + "expert_count").orElse(0) > 0) {
            throw new GgufException(f.path() + ": a mixture-of-experts model (" + k + "expert_count "
                    + f.requireInt(k + "expert_count") + "); Stride runs dense models");
        }
        int hidden = f.requireInt(k + "embedding_length");
        int heads = f.requireInt(k + "attention.head_count");
        if (heads == 0 || hidden % heads != 0 && f.optionalInt(k + "attention.key_length").isEmpty()) {
            throw new GgufException(f.path() + ": " + k + "attention.head_count " + heads + " does not divide "
                    + k + "embedding_length " + hidden);
        }
        int headDim = f.optionalInt(k + "attention.key_length").orElse(hidden / heads);
        int rotary = f.optionalInt(k + "rope.dimension_count").orElse(headDim);
        if (rotary != headDim) {
            throw new GgufException(f.path() + ": " + k + "rope.dimension_count " + rotary + " differs from the head"
                    + " size " + headDim + " (partial rotary embeddings are not supported)");
        }
        double theta = positiveReal(f, k + "rope.freq_base", 10000.0, false);
        // Required, as llama.cpp requires it: no default fits every model (Qwen2's is 1e-6, Llama 2's 1e-5).
        float eps = (float) positiveReal(f, k + "attention.layer_norm_rms_epsilon", null, true);
        GgufTensor embedding = f.tensor("token_embd.weight").orElseThrow(
                () -> new GgufException(f.path() + ": no tensor 'token_embd.weight'"));
        RopeScaling scaling = ropeScaling(f, k, theta, headDim);
        try {
            return new ModelConfig(arch, hidden, f.requireInt(k + "feed_forward_length"),
                    f.requireInt(k + "block_count"), heads, f.optionalInt(k + "attention.head_count_kv").orElse(heads),
                    headDim, (int) embedding.rows(), eps, theta, scaling,
                    f.requireInt(k + "context_length"), f.tensor("output.weight").isEmpty(),
                    arch.qkvBias(), 0);
        } catch (ModelException e) {
            // The constructor's checks name the config.json fields, not the file: name it.
            throw new GgufException(f.path() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The number under {@code key} ({@code absent} if missing, required if that is null), which must be finite and
     * > 0: as a float32 where {@code float32}, since the model keeps it as one.
     */
    private static double positiveReal(GgufFile f, String key, Double absent, boolean float32) {
        double value = absent == null ? f.require(key, Number.class).doubleValue() : f.optionalReal(key).orElse(absent);
        double kept = float32 ? (float) value : value;
        if (!(kept > 0) || Double.isInfinite(kept)) {
            throw new GgufException(f.path() + ": metadata '" + key + "' must be finite and > 0"
                    + (float32 ? " as a float32" : "") + ", got " + f.metadata().get(key));
        }
        return kept;
    }

    private static RopeScaling ropeScaling(GgufFile f, String k, double theta, int headDim) {
        // llama.cpp reads the factor under its old name too, and scales linearly by it when no type is named.
        boolean oldName = !f.metadata().containsKey(k + "rope.scaling.factor")
                && f.metadata().containsKey(k + "rope.scale_linear");
        String factorKey = k + (oldName ? "rope.scale_linear" : "rope.scaling.factor");
        boolean factor = f.optionalReal(factorKey).isPresent();
        String type = f.optional(k + "rope.scaling.type", String.class).orElse(factor ? "linear" : "none");
        boolean freqs = f.tensor(ROPE_FREQS).isPresent();
        if (type.equals("linear") && !freqs) {
            if (!factor) {
                throw new GgufException(f.path() + ": linear rope scaling without " + k + "rope.scaling.factor");
            }
            return new RopeScaling("linear", positiveReal(f, factorKey, 1.0, false), 1, 1, 0);
        }
        if (!type.equals("none") && !(freqs && type.equals("llama3"))) {
            throw new GgufException(f.path() + ": rope scaling '" + type + "'" + (freqs ? " with " + ROPE_FREQS : "")
                    + " is not supported (linear and Llama 3's rope_freqs are)");
        }
        return freqs ? llama3(f, k, theta, headDim) : RopeScaling.NONE;
    }

    private static RopeScaling llama3(GgufFile f, String k, double theta, int headDim) {
        GgufTensor t = f.tensor(ROPE_FREQS).orElseThrow();
        if (t.type() != GgmlType.F32 || t.dims().length != 1 || t.cols() != headDim / 2) {
            throw new GgufException(f.path() + ": " + ROPE_FREQS + " should be " + headDim / 2 + " F32 values, is "
                    + t.type() + " " + Arrays.toString(t.dims()));
        }
        ByteBuffer data = f.data(t);
        double[] divisors = new double[headDim / 2];
        for (int i = 0; i < divisors.length; i++) {
            divisors[i] = data.getFloat(i * Float.BYTES);
            // A divisor of 0, below 0, NaN or infinite is no scaling at all, and would break the fit below.
            if (!(divisors[i] > 0) || Double.isInfinite(divisors[i])) {
                throw new GgufException(f.path() + ": " + ROPE_FREQS + "[" + i + "] = " + divisors[i]
                        + " is not a rope scaling divisor (must be finite and > 0)");
            }
        }
        double[] inv = RopeScaling.NONE.inverseFrequencies(theta, headDim);
        double factor = divisors[0];
        for (double d : divisors) {
            factor = Math.max(factor, d);
        }
        if (factor == 1) {
            return RopeScaling.NONE;
        }
        // Least-squares line s = slope * u + intercept over the band's points, u = 1 / wavelength.
        double n = 0, su = 0, ss = 0, suu = 0, sus = 0;
        for (int i = 0; i < divisors.length; i++) {
            if (divisors[i] != 1 && divisors[i] != factor) {
                double u = inv[i] / (2 * Math.PI);
                double s = (1 / divisors[i] - 1 / factor) / (1 - 1 / factor);
                n++;
                su += u;
                ss += s;
                suu += u * u;
                sus += u * s;
            }
        }
        if (n < 2) {
            throw new GgufException(f.path() + ": " + ROPE_FREQS + " has " + (int) n + " blended frequencies; two are"
                    + " needed to recover Llama 3's rope scaling");
        }
        double slope = (n * sus - su * ss) / (n * suu - su * su);
        double intercept = (ss - slope * su) / n;
        int original = f.optionalInt(k + "rope.scaling.original_context_length").orElse(LLAMA3_ORIGINAL_CONTEXT);
        double low = -intercept * original / slope;
        double high = low + original / slope;
        // The fit recovers 1 and 4 as 1.0000001 and 3.9999999: take the shortest decimals that still reproduce.
        for (int digits = 1; digits <= 6; digits++) {
            RopeScaling rounded = new RopeScaling("llama3", factor, round(low, digits), round(high, digits), original);
            if (mismatch(rounded, theta, headDim, inv, divisors) < 0) {
                return rounded;
            }
        }
        RopeScaling fitted = new RopeScaling("llama3", factor, low, high, original);
        int wrong = mismatch(fitted, theta, headDim, inv, divisors);
        if (wrong >= 0) {
            throw new GgufException(f.path() + ": " + ROPE_FREQS + "[" + wrong + "] = " + divisors[wrong] + " is not"
                    + " Llama 3's rope scaling (the best fit, factor " + factor + ", low " + low + ", high " + high
                    + ", gives " + inv[wrong] / fitted.inverseFrequencies(theta, headDim)[wrong] + ")");
        }
        return fitted;
    }

    /** The first frequency whose divisor {@code scaling} does not reproduce, or -1. */
    private static int mismatch(RopeScaling scaling, double theta, int headDim, double[] inv, double[] divisors) {
        double[] scaled = scaling.inverseFrequencies(theta, headDim);
        for (int i = 0; i < divisors.length; i++) {
            if (Math.abs(inv[i] / scaled[i] - divisors[i]) > DIVISOR_TOLERANCE * divisors[i]) {
                return i;
            }
        }
        return -1;
    }

    private static double round(double value, int significantDigits) {
        return new BigDecimal(value).round(new MathContext(significantDigits)).doubleValue();
    }
}
