package dev.stride.decoder.engine;

import java.util.List;
import java.util.Set;

/**
 * Decides, token by token, whether a sequence is finished: end-of-sequence ids, stop strings in the text, the
 * max-new-tokens budget and the context length. Multi-token decoding feeds the tokens of an accepted path through
 * the same rules one at a time, so it stops exactly where plain decoding would.
 */
final class StopRules {

    private final Set<Integer> eosIds;
    private final List<String> stopStrings;
    private final int maxNewTokens;
    private final int maxTotalTokens;
    private final TextStream text;
    private final StringBuilder emitted = new StringBuilder();
    private final int longestStop;
    private int stopIndex = -1;

    StopRules(Set<Integer> eosIds, List<String> stopStrings, int maxNewTokens, int maxTotalTokens, TextStream text) {
        this.eosIds = eosIds;
        this.stopStrings = stopStrings;
        this.maxNewTokens = maxNewTokens;
        this.maxTotalTokens = maxTotalTokens;
        this.text = stopStrings.isEmpty() ? null : text;
        this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
    }

    /**
     * Applies the rules after {@code token} was generated.
     *
     * @param generated tokens generated so far, this one included
     * @param total prompt plus generated tokens
     * @return why the sequence ends here, or null to go on
     */
    FinishReason after(int token, int generated, int total) {
        if (eosIds.contains(token)) {
            return stopInHeldBackText() ? FinishReason.STOP : FinishReason.EOS;
        }
        if (text != null && matchesStopString(text.push(token))) {
            return FinishReason.STOP;
        }
        if (generated >= maxNewTokens || total >= maxTotalTokens) {
            return stopInHeldBackText() ? FinishReason.STOP : FinishReason.LENGTH;
        }
        return null;
    }

    /**
     * Whether a stop string ends in the text the stream still holds back as the sequence ends: a token that both
     * completes a stop string and starts a multi-byte character emits nothing until the character completes.
     */
    private boolean stopInHeldBackText() {
        return text != null && matchesStopString(text.flush());
    }

    private boolean matchesStopString(String piece) {
        int searchFrom = Math.max(0, emitted.length() - longestStop + 1);
        emitted.append(piece);
        for (String stop : stopStrings) {
            int at = emitted.indexOf(stop, searchFrom);
            if (at >= 0 && (stopIndex < 0 || at < stopIndex)) {
                stopIndex = at;
            }
        }
        return stopIndex >= 0;
    }

    /** Where the first stop string starts in the streamed text, or -1. */
    int stopIndex() {
        return stopIndex;
    }

    /** The streamed text so far (only tracked when there are stop strings). */
    String streamedText() {
        return emitted.toString();
    }
}
