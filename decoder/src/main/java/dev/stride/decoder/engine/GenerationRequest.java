package dev.stride.decoder.engine;

import java.util.List;

/**
 * One sequence to generate.
 *
 * @param id caller's identifier, echoed in the result
 * @param promptIds token ids of the prompt (BOS included when the tokenizer adds it); never empty
 * @param maxNewTokens upper bound on generated tokens (> 0)
 * @param sampling greedy or coupled sampling parameters
 * @param stopStrings generation stops once the completion text contains one of these
 * @param ignoreEos keep generating past end-of-sequence tokens (benchmarks, reference comparisons)
 * @param logprobs {@link #NO_LOGPROBS}, or report each completion token's log-probability with this many of the
 *     most likely alternatives (0 to 20)
 */
public record GenerationRequest(String id, int[] promptIds, int maxNewTokens, SamplingParams sampling,
                                List<String> stopStrings, boolean ignoreEos, int logprobs) {

    public static final int NO_LOGPROBS = -1;
    /** The most alternatives a token may report; more would cost O(vocab * N) per token for little use. */
    public static final int MAX_LOGPROBS = 20;
    /** Tokens per sequence the command lines and the Spark job generate unless told otherwise. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;

    public GenerationRequest(String id, int[] promptIds, int maxNewTokens, SamplingParams sampling,
                             List<String> stopStrings) {
        this(id, promptIds, maxNewTokens, sampling, stopStrings, false, NO_LOGPROBS);
    }

    public GenerationRequest(String id, int[] promptIds, int maxNewTokens, SamplingParams sampling,
                             List<String> stopStrings, boolean ignoreEos) {
        this(id, promptIds, maxNewTokens, sampling, stopStrings, ignoreEos, NO_LOGPROBS);
    }

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("request " + id + ": prompt has no tokens");
        }
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("request " + id + ": max_new_tokens must be > 0, got " + maxNewTokens);
        }
        if (sampling == null) { // else the decoder's step fails on it, taking the other requests in flight along
            throw new IllegalArgumentException("request " + id + ": sampling parameters are missing (greedy is "
                    + "SamplingParams.GREEDY)");
        }
        checkLogprobs(logprobs);
        promptIds = promptIds.clone();
        stopStrings = stopStrings == null ? List.of() : stopStrings;
        for (String stop : stopStrings) { // before List.copyOf, which throws a bare NullPointerException on a null
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("request " + id + ": stop strings must be non-empty");
            }
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /** Throws IllegalArgumentException unless {@code logprobs} is {@link #NO_LOGPROBS} or 0 to MAX_LOGPROBS. */
    public static void checkLogprobs(int logprobs) {
        if (logprobs < NO_LOGPROBS || logprobs > MAX_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be between 0 and " + MAX_LOGPROBS
                    + " alternatives (or " + NO_LOGPROBS + " for none), got " + logprobs);
        }
    }

    public boolean wantsLogprobs() {
        return logprobs != NO_LOGPROBS;
    }

    /** The same request under another id (callers that key results by their own index). */
    public GenerationRequest withId(String newId) {
        return new GenerationRequest(newId, promptIds, maxNewTokens, sampling, stopStrings, ignoreEos, logprobs);
    }
}
