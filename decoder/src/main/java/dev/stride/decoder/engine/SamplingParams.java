package dev.stride.decoder.engine;

/**
 * How the next token is chosen from logits. Temperature 0 means greedy (argmax).
 * Sampling is coupled per position: see {@link CoupledSampler}.
 *
 * @param temperature 0 for greedy, otherwise the softmax temperature (> 0)
 * @param topK keep the K most likely tokens; 0 keeps all
 * @param topP nucleus mass in (0, 1]; 1 keeps all
 * @param seed key of the counter-based random stream
 */
public record SamplingParams(float temperature, int topK, float topP, long seed) {

    /** Defaults of the command lines and the Spark job: greedy, no top-k or top-p cut, seed 0. */
    public static final float DEFAULT_TEMPERATURE = 0f;
    public static final int DEFAULT_TOP_K = 0;
    public static final float DEFAULT_TOP_P = 1f;
    public static final long DEFAULT_SEED = 0L;

    public static final SamplingParams GREEDY = new SamplingParams(DEFAULT_TEMPERATURE, DEFAULT_TOP_K, DEFAULT_TOP_P,
            DEFAULT_SEED);

    /**
     * A parameter given as a double (a JSON number, a DOUBLE column) as the float the sampler uses, refused where the
     * narrowing would change what it means: a nonzero value that rounds to zero (a temperature of 1e-50 would decode
     * greedily) or a finite one that overflows. Rounding to the nearest float is kept, as every float parameter has it.
     */
    public static float narrowed(String name, double value) {
        float narrowed = (float) value;
        if (narrowed == 0f && value != 0 || Float.isInfinite(narrowed) && !Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " " + value + " is beyond a 32-bit float's range (nonzero "
                    + "magnitudes from " + Float.MIN_VALUE + " to " + Float.MAX_VALUE + ")");
        }
        return narrowed;
    }

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = disabled), got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
