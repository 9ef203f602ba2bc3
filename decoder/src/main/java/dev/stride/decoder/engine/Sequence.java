package dev.stride.decoder.engine;

import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/** One request in flight: its cache, what it has generated, and its counters. */
final class Sequence {

    final GenerationRequest request;
    final StopRules stopRules;
    final KvCache cache;
    final DraftTree tree = new DraftTree();
    /** Whether the drafter proposes trees for it: false for plain decoding, or where only a root fits the budget. */
    final boolean drafts;
    final DraftState draftState;
    final long startNanos;

    boolean prefilled;
    /** Prompt tokens with keys and values in the cache, while its prompt is prefilled over several passes. */
    int promptCached;
    /** Prompt rows the current pass carries for it, from {@link #promptCached} on (0: none this pass). */
    int passPromptRows;
    /** Committed tokens, all with keys and values in slots [0, length). */
    int length;
    /** The last generated token: chosen by the model, not yet run through it. */
    int pendingToken;
    int generated;
    int[] completion = new int[16];
    int completionLength;
    /** One per completion token when the request asks for them, else null. */
    final List<TokenLogprob> logprobs;
    FinishReason finishReason;

    int forwardPasses;
    int decodePasses;
    int decodeTokens;
    final int[] acceptHistogram;
    final int[] headAccepted;
    long treeNodes;

    /** First row and first logit row of this sequence in the current pass. */
    int passRow;
    int passLogitRow;

    Sequence(GenerationRequest request, StopRules stopRules, KvCache cache, boolean drafts, DraftState draftState,
             int maxTokensPerPass, int heads) {
        this.request = request;
        this.stopRules = stopRules;
        this.cache = cache;
        this.drafts = drafts;
        this.draftState = draftState;
        this.acceptHistogram = new int[maxTokensPerPass];
        this.headAccepted = new int[heads];
        this.logprobs = request.wantsLogprobs() ? new ArrayList<>() : null;
        this.startNanos = System.nanoTime();
    }

    int promptLength() {
        return request.promptIds().length;
    }

    /**
     * Appends one generated token through the stop rules.
     *
     * @param logprob the token's log-probabilities, computed only when the request asks for them
     * @return true when the sequence is finished
     */
    boolean append(int token, boolean endOfSequence, Supplier<TokenLogprob> logprob) {
        generated++;
        FinishReason reason = stopRules.after(token, generated, promptLength() + generated);
        if (!endOfSequence) {
            if (completionLength == completion.length) {
                completion = Arrays.copyOf(completion, 2 * completionLength);
            }
            completion[completionLength++] = token;
            if (logprobs != null) {
                logprobs.add(logprob.get());
            }
        }
        if (reason != null) {
            finishReason = reason;
            return true;
        }
        return false;
    }

    int[] completionIds() {
        return Arrays.copyOf(completion, completionLength);
    }
}
