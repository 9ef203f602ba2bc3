package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.testing.TinyModels;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A drafter that knows the future: it recognises a hidden state from a plain greedy run (bit for bit) and drafts
 * the true continuation beside wrong siblings. Multi-token decoding must then accept whole chains, which only
 * happens if tree-pass hidden states equal plain ones exactly and accepted keys/values are moved into place right.
 */
class OracleDraftTest {

    private static final int DEPTH = 4;

    @Test
    void perfectDraftsAreAcceptedWholeAndOutputMatchesPlain() {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 7);
        int[] prompt = {3, 14, 15, 9, 26};
        int maxNew = 40;
        try (ComputePool pool = new ComputePool(2)) {
            Transformer transformer = TestDecoders.transformer(config, weights, pool);
            Map<Integer, Integer> stepByHidden = new HashMap<>();
            int[] plainTokens = plainGreedy(transformer, prompt, maxNew, stepByHidden);

            Drafter oracle = new TruthDrafter(DEPTH, config.vocabSize()) {
                @Override
                public void draft(float[] hidden, int n, int[] maxDepth, DraftState[] states, DraftTree[] trees) {
                    int h = config.hiddenSize();
                    for (int i = 0; i < n; i++) {
                        Integer step = stepByHidden.get(Arrays.hashCode(Arrays.copyOfRange(hidden, i * h, (i + 1) * h)));
                        draftTruth(trees[i], plainTokens, step, maxDepth[i]);
                    }
                }
            };
            GenerationRequest request = new GenerationRequest("oracle", prompt, maxNew, SamplingParams.GREEDY, List.of());
            List<GenerationResult> results = TestDecoders.run(TestDecoders.decoder(transformer, oracle, Set.of(), 1),
                    List.of(request));
            GenerationResult result = results.get(0);
            assertArrayEquals(plainTokens, result.completionIds());
            assertEquals(FinishReason.LENGTH, result.finishReason());
            assertTrue(result.tokensPerPass() >= DEPTH, "oracle drafts should be accepted whole, got "
                    + result.tokensPerPass() + " tokens per pass, histogram "
                    + Arrays.toString(result.acceptHistogram()));
            assertEquals(1 + result.decodeTokens(), result.completionTokens());
        }
    }

    /** Greedy decoding one token per pass, recording which step each final hidden state belongs to. */
    private static int[] plainGreedy(Transformer transformer, int[] prompt, int maxNew, Map<Integer, Integer> steps) {
        ModelConfig config = transformer.config();
        KvCache cache = new KvCacheBudget(config, 1L << 24).tryAllocate(prompt.length + maxNew);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < prompt.length; i++) {
            batch.addCausal(cache, prompt[i], i, i == prompt.length - 1);
        }
        int[] tokens = new int[maxNew];
        int lastRow = prompt.length - 1;
        for (int step = 0; step < maxNew; step++) {
            PassOutput out = transformer.forward(batch);
            int h = config.hiddenSize();
            steps.put(Arrays.hashCode(Arrays.copyOfRange(out.hidden(), lastRow * h, (lastRow + 1) * h)), step);
            tokens[step] = Logits.argmax(out.logits(), out.logitsOffset(0), config.vocabSize());
            batch.clear();
            batch.addCausal(cache, tokens[step], prompt.length + step, true);
            lastRow = 0;
        }
        return tokens;
    }
}
