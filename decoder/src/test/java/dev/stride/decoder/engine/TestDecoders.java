package dev.stride.decoder.engine;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.Drafter;
import java.util.List;
import java.util.Set;

/** Builds decoders over in-memory models for tests; token i reads as "<i>" so stop strings can be exercised. */
final class TestDecoders {

    static final TextStream.Factory TEXT = new TextStream.Factory() {
        @Override
        public TextStream open(int[] promptIds) {
            return id -> "<" + id + ">";
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder text = new StringBuilder();
            for (int id : ids) {
                text.append('<').append(id).append('>');
            }
            return text.toString();
        }
    };

    private TestDecoders() {
    }

    static Transformer transformer(ModelConfig config, ModelWeights weights, ComputePool pool) {
        return new Transformer(config, weights, new VectorOps(pool), pool);
    }

    static BatchDecoder decoder(Transformer transformer, Drafter drafter, Set<Integer> eos, int maxBatch) {
        return new BatchDecoder(transformer, new KvCacheBudget(transformer.config(), 64L << 20), drafter, eos, TEXT,
                maxBatch);
    }

    static List<GenerationResult> run(BatchDecoder decoder, List<GenerationRequest> requests) {
        requests.forEach(decoder::submit);
        List<GenerationResult> results = decoder.runToCompletion();
        results.sort(java.util.Comparator.comparing(GenerationResult::id));
        return results;
    }
}
