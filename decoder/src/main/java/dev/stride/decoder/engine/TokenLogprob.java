package dev.stride.decoder.engine;

/**
 * A generated token's log-probability under the model's own distribution (softmax of the logits, temperature 1,
 * before top-k/top-p), with the most likely alternatives at that position. A function of the logits alone, so plain
 * and multi-token decoding report the same floats.
 *
 * @param id the generated token
 * @param logprob its natural-log probability
 * @param topIds the most likely tokens at this position, most likely first (ties: lower id first)
 * @param topLogprobs their log-probabilities, in the same order
 */
public record TokenLogprob(int id, float logprob, int[] topIds, float[] topLogprobs) {

    public TokenLogprob {
        if (topIds.length != topLogprobs.length) {
            throw new IllegalArgumentException("top ids and log-probabilities differ in length");
        }
    }
}
