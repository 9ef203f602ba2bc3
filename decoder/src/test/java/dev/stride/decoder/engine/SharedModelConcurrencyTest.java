package dev.stride.decoder.engine;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.StaticTree;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Several threads decoding through one shared model (as Spark tasks do) get exactly their solo results. */
class SharedModelConcurrencyTest {

    @Test
    void concurrentDecodersOnOneModelMatchSequentialRuns() throws Exception {
        ModelConfig config = TinyModels.llama();
        ModelWeights weights = TinyModels.weights(config, 99);
        MedusaHeads heads = TinyModels.heads(config, weights, 3, 1, 98);
        Random random = new Random(5);
        List<List<GenerationRequest>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            work.add(MultiTokenEquivalenceTest.randomRequests(random, config, 5));
        }
        try (ComputePool pool = new ComputePool(2)) {
            Transformer transformer = TestDecoders.transformer(config, weights, pool);
            VectorOps ops = new VectorOps(pool);
            List<List<GenerationResult>> expected = new ArrayList<>();
            for (List<GenerationRequest> requests : work) {
                expected.add(TestDecoders.run(TestDecoders.decoder(transformer, null, Set.of(), 2), requests));
            }
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<GenerationResult>>> futures = new ArrayList<>();
                for (int t = 0; t < work.size(); t++) {
                    List<GenerationRequest> requests = work.get(t);
                    boolean multi = t % 2 == 0;
                    futures.add(threads.submit(() -> TestDecoders.run(TestDecoders.decoder(transformer,
                            multi ? new MedusaDrafter(heads, StaticTree.chain(3), ops) : null, Set.of(), 3),
                            requests)));
                }
                for (int t = 0; t < work.size(); t++) {
                    MultiTokenEquivalenceTest.assertSameOutputs(expected.get(t), futures.get(t).get(),
                            "thread " + t);
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }
}
