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
 */
public record GenerationRequest(String id, int[] promptIds, int maxNewTokens, SamplingParams sampling,
                                List<String> stopStrings, boolean ignoreEos) {

    public GenerationRequest(String id, int[] promptIds, int maxNewTokens, SamplingParams sampling,
                             List<String> stopStrings) {
        this(id, promptIds, maxNewTokens, sampling, stopStrings, false);
    }

    public GenerationRequest {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("request " + id + ": prompt has no tokens");
        }
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("request " + id + ": max_new_tokens must be > 0, got " + maxNewTokens);
        }
        promptIds = promptIds.clone();
        stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
        for (String stop : stopStrings) {
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("request " + id + ": stop strings must be non-empty");
            }
        }
    }
}
