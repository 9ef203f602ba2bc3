package dev.stride.decoder.engine;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.Drafter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
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
        results.sort(Comparator.comparing(GenerationResult::id));
        return results;
    }

    /**
     * Results sorted by id, all requests submitted at once or, with {@code joins}, one by one between random steps
     * (sequences joining a batch mid-run).
     */
    static List<GenerationResult> runArriving(Transformer transformer, Drafter drafter, Set<Integer> eos,
                                              int maxBatch, long budget, List<GenerationRequest> requests,
                                              Random joins) {
        BatchDecoder decoder = new BatchDecoder(transformer, new KvCacheBudget(transformer.config(), budget), drafter,
                eos, TEXT, maxBatch);
        List<GenerationResult> results = new ArrayList<>();
        if (joins == null) {
            requests.forEach(decoder::submit);
        } else {
            for (int next = 0; next < requests.size(); ) {
                if (joins.nextInt(3) == 0 || !decoder.hasWork()) {
                    decoder.submit(requests.get(next++));
                }
                decoder.step();
                results.addAll(decoder.drainFinished());
            }
        }
        results.addAll(decoder.runToCompletion());
        results.sort(Comparator.comparing(GenerationResult::id));
        return results;
    }

    /** A transformer that records the most rows and logit rows any pass carried. */
    static final class PassSizes implements ForwardBackend {
        private final Transformer transformer;
        int mostRows;
        int mostLogitRows;

        PassSizes(Transformer transformer) {
            this.transformer = transformer;
        }

        @Override
        public ModelConfig config() {
            return transformer.config();
        }

        @Override
        public void forward(PassBatch batch, PassOutput out) {
            mostRows = Math.max(mostRows, batch.size());
            mostLogitRows = Math.max(mostLogitRows, batch.logitRows());
            transformer.forward(batch, out);
        }

        @Override
        public KvCacheBudget kvCacheBudget(long requestedBytes) {
            return transformer.kvCacheBudget(requestedBytes);
        }

        @Override
        public String device() {
            return transformer.device();
        }

        @Override
        public void close() {
        }
    }
}
