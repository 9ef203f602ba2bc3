package dev.stride.decoder.engine;

import java.util.List;

/**
 * The outcome of one request. When {@code error} is non-null the other fields describe how far it got.
 *
 * @param completionIds generated ids, end-of-sequence token excluded
 * @param forwardPasses all passes that carried this sequence, prefill included (one pass per 512 prompt tokens, or
 *     more where prompts admitted together share a pass's 512 prompt rows)
 * @param decodePasses passes after prefill
 * @param decodeTokens tokens produced by decode passes (the token produced by prefill is excluded)
 * @param acceptHistogram index i counts decode passes that yielded i + 1 tokens
 * @param headAccepted index k counts decode passes in which head k's candidate was accepted
 * @param treeNodes tree nodes evaluated over all decode passes
 * @param decodeNanos wall time from admission to finish
 * @param logprobs one per completion token when the request asked for them, else null
 */
public record GenerationResult(String id, int[] completionIds, String completion, FinishReason finishReason,
                               int promptTokens, int forwardPasses, int decodePasses, int decodeTokens,
                               int[] acceptHistogram, int[] headAccepted, long treeNodes, long decodeNanos,
                               List<TokenLogprob> logprobs, String error) {

    public int completionTokens() {
        return completionIds.length;
    }

    /** Tokens per decode pass; 1.0 for plain decoding, 0 when no decode pass ran. */
    public double tokensPerPass() {
        return decodePasses == 0 ? 0.0 : (double) decodeTokens / decodePasses;
    }

    public boolean ok() {
        return error == null;
    }

    public static GenerationResult failed(String id, int promptTokens, String error) {
        return new GenerationResult(id, new int[0], "", null, promptTokens, 0, 0, 0, new int[0], new int[0], 0, 0,
                null, error);
    }
}
