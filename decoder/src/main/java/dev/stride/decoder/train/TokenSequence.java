package dev.stride.decoder.train;

/**
 * One training sequence: a prompt and the base model's continuation.
 *
 * @param tokens prompt then continuation
 * @param draftStart first position whose hidden state the heads learn from: the prompt's last token, the first
 *                   position the engine ever drafts from (earlier targets are the prompt's text, not the model's)
 * @param group sequences of one group (one distinct prompt) land on the same side of the held-out split
 * @param greedyFrom first position after which every token is the model's greedy choice (after a sampled lead-in,
 *                   its last token), {@code tokens.length} for a sampled continuation: greedy decoding drafts along
 *                   the tokens from here on, so the tree design measures acceptance on them alone
 */
public record TokenSequence(int[] tokens, int draftStart, int group, int greedyFrom) {

    public TokenSequence {
        if (draftStart < 0 || draftStart >= tokens.length) {
            throw new IllegalArgumentException("draft start " + draftStart + " outside a sequence of " + tokens.length);
        }
        if (greedyFrom < draftStart || greedyFrom > tokens.length) {
            throw new IllegalArgumentException("greedy continuation from " + greedyFrom + ": expected from the draft"
                    + " start " + draftStart + " to the sequence's length " + tokens.length);
        }
    }

    /** A greedy continuation of the whole prompt. */
    public static TokenSequence greedy(int[] tokens, int draftStart, int group) {
        return new TokenSequence(tokens, draftStart, group, draftStart);
    }

    /** Adds one to {@code counts[id]} for each continuation token: the tokens the model chose after the prompt. */
    public void countContinuation(long[] counts) {
        for (int i = draftStart + 1; i < tokens.length; i++) {
            counts[tokens[i]]++;
        }
    }
}
