package dev.stride.decoder.train;

import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs the frozen base model over whole sequences (prefill passes, no logits) and keeps every position's
 * final-norm hidden state: the heads' inputs. The forward pass is batch-invariant, so these are exactly the states
 * the engine drafts from while decoding.
 */
public final class HiddenStateRecorder {

    /** Rows per forward pass: large passes amortise the weight reads, bounded to keep activations small. */
    private static final int ROWS_PER_PASS = 4096;

    private HiddenStateRecorder() {
    }

    /**
     * @param progress told the number of sequences done after each pass
     * @return (total tokens, hidden) states, sequence after sequence
     */
    public static float[] record(ModelConfig config, ModelWeights weights, VectorOps ops,
                                 List<TokenSequence> sequences, IntConsumer progress) {
        int hidden = config.hiddenSize();
        long total = sequences.stream().mapToLong(s -> s.tokens().length).sum();
        if (total * hidden > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(total + " tokens of hidden states (" + hidden + " floats each) do not fit"
                    + " in one array; use fewer --samples or a smaller --max-new-tokens");
        }
        float[] states = new float[(int) (total * hidden)];
        Transformer transformer = new Transformer(config, weights, ops, ops.pool());
        KvCacheBudget budget = new KvCacheBudget(config, Long.MAX_VALUE);
        PassBatch batch = new PassBatch();
        List<KvCache> caches = new ArrayList<>();
        int next = 0;
        int written = 0;
        while (next < sequences.size()) {
            batch.clear();
            caches.clear();
            int first = next;
            while (next < sequences.size()
                    && (next == first || batch.size() + sequences.get(next).tokens().length <= ROWS_PER_PASS)) {
                int[] tokens = sequences.get(next++).tokens();
                KvCache cache = budget.tryAllocate(tokens.length);
                caches.add(cache);
                for (int t = 0; t < tokens.length; t++) {
                    batch.addCausal(cache, tokens[t], t, false);
                }
            }
            PassOutput out = transformer.forward(batch);
            System.arraycopy(out.hidden(), 0, states, written, batch.size() * hidden);
            written += batch.size() * hidden;
            caches.forEach(budget::release);
            progress.accept(next);
        }
        return states;
    }
}
