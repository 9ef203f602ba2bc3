package dev.stride.decoder.train;

/**
 * One training sequence: a prompt and the base model's continuation.
 *
 * @param tokens prompt then continuation
 * @param draftStart first position whose hidden state the heads learn from: the prompt's last token, the first
 *                   position the engine ever drafts from (earlier targets are the prompt's text, not the model's)
 * @param group sequences of one group (one distinct prompt) land on the same side of the held-out split
 */
public record TokenSequence(int[] tokens, int draftStart, int group) {

    public TokenSequence {
        if (draftStart < 0 || draftStart >= tokens.length) {
            throw new IllegalArgumentException("draft start " + draftStart + " outside a sequence of " + tokens.length);
        }
    }

    /** Adds one to {@code counts[id]} for each continuation token: the tokens the model chose after the prompt. */
    public void countContinuation(long[] counts) {
        for (int i = draftStart + 1; i < tokens.length; i++) {
            counts[tokens[i]]++;
        }
    }
}
