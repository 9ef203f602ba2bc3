package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.testing.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What a Spark executor becomes after minutes of work: one engine with two compute threads, warmed up, its pass costs measured,
 * its kernels compiled and recompiled, decoding round after round plain and multi-token, alone and with a second
 * decoder working beside it on the same engine. Every round must give the first round's tokens and log-probabilities
 * bit for bit. (Two threads once let a parallel loop return before its last chunk was written; about half of such
 * processes then changed tokens from round to round.)
 */
class WarmEngineStressTest {

    private static final int ROUNDS = 8;

    @Test
    void everyRoundGivesTheFirstRoundsBits() throws Exception {
        Path heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads");
        SamplingParams sampled = new SamplingParams(0.9f, 0, 0.9f, 23);
        try (Engine engine = Engine.load(new EngineOptions(Fixtures.modelDir(), heads, 2, "cpu", 256L << 20))) {
            assertTrue(engine.warmUp() > 0, "the warm-up runs passes"); // as the job does on each executor
            engine.speculationCosts(); // measured on the compute threads, as the first multi-token decoder does
            List<GenerationResult> greedy = decode(engine, DecodingMode.AR, SamplingParams.GREEDY);
            List<GenerationResult> sampledPlain = decode(engine, DecodingMode.AR, sampled);
            ExecutorService beside = Executors.newSingleThreadExecutor();
            try {
                for (int round = 0; round < ROUNDS; round++) {
                    DecodingMode mode = round % 2 == 0 ? DecodingMode.MTP : DecodingMode.AR;
                    // A second decoder on the same engine, as two Spark tasks of one executor.
                    Future<List<GenerationResult>> other = beside.submit(() -> decode(engine,
                            mode == DecodingMode.AR ? DecodingMode.MTP : DecodingMode.AR, sampled));
                    MultiTokenEquivalenceTest.assertSameOutputs(greedy, decode(engine, mode, SamplingParams.GREEDY),
                            "round " + round + ", greedy " + mode);
                    assertSameBits(sampledPlain, other.get(), "round " + round + ", sampled, beside");
                }
            } finally {
                beside.shutdownNow();
            }
        }
    }

    /** Same tokens and log-probabilities; pass counts may differ between modes. */
    private static void assertSameBits(List<GenerationResult> expected, List<GenerationResult> actual, String what) {
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).completionIds(),
                    actual.get(i).completionIds(), what + " request " + i);
            MultiTokenEquivalenceTest.assertSameLogprobs(expected.get(i), actual.get(i), what + " request " + i);
        }
    }

    private static List<GenerationResult> decode(Engine engine, DecodingMode mode, SamplingParams sampling) {
        List<GenerationRequest> requests = new ArrayList<>();
        List<Fixtures.Reference> references = Fixtures.references();
        for (int i = 0; i < references.size(); i++) {
            requests.add(new GenerationRequest(String.valueOf(i), references.get(i).promptIds(), 64, sampling,
                    List.of(), true, 2));
        }
        try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(mode, "chain:2", 1))) {
            return TestDecoders.run(decoder, requests);
        }
    }
}
