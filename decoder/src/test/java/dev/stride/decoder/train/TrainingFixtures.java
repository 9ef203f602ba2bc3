package dev.stride.decoder.train;

import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Self-distillation data from tiny random models, and random heads, for training tests. */
final class TrainingFixtures {

    private TrainingFixtures() {
    }

    /** Greedy continuations of random two-token prompts, decoded by recomputing the whole prefix each step. */
    static List<TokenSequence> greedySequences(ModelConfig config, ModelWeights weights, VectorOps ops, int count,
                                               int length, long seed) {
        Random random = new Random(seed);
        Transformer transformer = new Transformer(config, weights, ops, ops.pool());
        KvCacheBudget budget = new KvCacheBudget(config, 1L << 30);
        PassBatch batch = new PassBatch();
        List<TokenSequence> sequences = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int[] tokens = new int[length];
            tokens[0] = random.nextInt(config.vocabSize());
            tokens[1] = random.nextInt(config.vocabSize());
            var cache = budget.tryAllocate(length);
            for (int t = 2; t < length; t++) {
                batch.clear();
                for (int p = 0; p < t; p++) {
                    batch.addCausal(cache, tokens[p], p, p == t - 1);
                }
                PassOutput out = transformer.forward(batch);
                tokens[t] = Logits.argmax(out.logits(), out.logitsOffset(0), config.vocabSize());
            }
            budget.release(cache);
            sequences.add(TokenSequence.greedy(tokens, 1, s));
        }
        return sequences;
    }

    static Corpus corpus(ModelConfig config, ModelWeights weights, VectorOps ops, int count, int length, long seed) {
        List<TokenSequence> sequences = greedySequences(config, weights, ops, count, length, seed);
        float[] hidden = HiddenStateRecorder.record(config, weights, ops, sequences, done -> { });
        return new Corpus(sequences, hidden, config.hiddenSize(), 0.2, seed);
    }

    /** Heads with every weight random, so no gradient is trivially zero. */
    static HeadModel randomHeads(ModelConfig config, int heads, int layers, long seed) {
        return randomHeads(config, heads, layers, false, seed);
    }

    /** The same, optionally projecting with one shared (random, frozen) matrix. */
    static HeadModel randomHeads(ModelConfig config, int heads, int layers, boolean sharedProjection, long seed) {
        return randomHeads(config, heads, layers, sharedProjection, null, seed);
    }

    /** The same, with token input from {@code embedding} (frozen) unless it is null. */
    static HeadModel randomHeads(ModelConfig config, int heads, int layers, boolean sharedProjection,
                                 WeightMatrix embedding, long seed) {
        Random random = new Random(seed);
        WeightMatrix lmHead = TinyModels.matrix(random, config.vocabSize(), config.hiddenSize(), 0.5f);
        HeadModel model = HeadModel.initial(lmHead, embedding, heads, layers, sharedProjection);
        for (float[] tensor : model.tensors()) {
            for (int i = 0; i < tensor.length; i++) {
                tensor[i] = (float) random.nextGaussian() * 0.3f;
            }
        }
        model.refreshTransposes();
        return model;
    }
}
