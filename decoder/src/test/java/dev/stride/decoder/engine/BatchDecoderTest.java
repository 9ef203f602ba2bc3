package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Admission, failures, memory limits, continuous batching and per-request statistics of the batch decoder. */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a request that never gets admitted spins
class BatchDecoderTest {

    private static final ModelConfig CONFIG = TinyModels.llama(); // context 128, vocab 61
    private static ComputePool pool;
    private static Transformer transformer;
    private static MedusaHeads heads;

    @BeforeAll
    static void setUp() {
        pool = new ComputePool(2);
        ModelWeights weights = TinyModels.weights(CONFIG, 2024);
        transformer = new Transformer(CONFIG, weights, new VectorOps(pool), pool);
        heads = TinyModels.heads(CONFIG, weights, 3, 1, 7);
    }

    @AfterAll
    static void tearDown() {
        pool.close();
    }

    private static Drafter drafter(String tree) {
        return new MedusaDrafter(heads, TreeSpecs.parse(tree, heads.numHeads(), () -> {
            throw new AssertionError("no auto trees here");
        }), new VectorOps(pool));
    }

    private static BatchDecoder decoder(Drafter drafter, long budgetBytes, int maxBatch, Set<Integer> eos) {
        return new BatchDecoder(transformer, new KvCacheBudget(CONFIG, budgetBytes), drafter, eos, TestDecoders.TEXT,
                maxBatch);
    }

    private static GenerationRequest request(String id, int promptLength, int maxNew, long seed) {
        Random random = new Random(seed);
        int[] prompt = random.ints(promptLength, 0, CONFIG.vocabSize()).toArray();
        SamplingParams sampling = seed % 2 == 0 ? SamplingParams.GREEDY : new SamplingParams(0.8f, 10, 0.9f, seed);
        return new GenerationRequest(id, prompt, maxNew, sampling, List.of());
    }

    private static Map<String, GenerationResult> byId(List<GenerationResult> results) {
        Map<String, GenerationResult> map = new HashMap<>();
        for (GenerationResult r : results) {
            assertNull(map.put(r.id(), r), "two results for " + r.id());
        }
        return map;
    }

    private static void assertSameOutput(GenerationResult expected, GenerationResult actual) {
        assertNull(actual.error(), actual.id() + ": " + actual.error());
        assertArrayEquals(expected.completionIds(), actual.completionIds(), actual.id());
        assertEquals(expected.completion(), actual.completion(), actual.id());
        assertEquals(expected.finishReason(), actual.finishReason(), actual.id());
    }

    /** Each request decoded on its own: the reference for batched runs. */
    private static Map<String, GenerationResult> alone(List<GenerationRequest> requests, Set<Integer> eos) {
        Map<String, GenerationResult> out = new HashMap<>();
        for (GenerationRequest r : requests) {
            try (BatchDecoder d = decoder(null, 64L << 20, 1, eos)) {
                d.submit(r);
                List<GenerationResult> results = d.runToCompletion();
                assertEquals(1, results.size());
                out.put(r.id(), results.get(0));
            }
        }
        return out;
    }

    // ----------------------------------------------------------------------------------------------- failures

    @Test
    void promptTooLongFailsAloneWhileTheOthersFinish() {
        int context = CONFIG.maxPositions();
        List<GenerationRequest> requests = List.of(
                request("a", 5, 6, 1),
                request("too-long", context, 4, 2),
                request("way-too-long", context + 40, 4, 3),
                request("just-fits", context - 1, 4, 4),
                request("b", 9, 6, 5));
        List<GenerationResult> results;
        try (BatchDecoder d = decoder(null, 64L << 20, 4, Set.of())) {
            requests.forEach(d::submit);
            results = d.runToCompletion();
        }
        Map<String, GenerationResult> r = byId(results);
        assertEquals(5, r.size());
        for (String id : new String[] {"too-long", "way-too-long"}) {
            GenerationResult failed = r.get(id);
            assertFalse(failed.ok());
            assertTrue(failed.error().startsWith("prompt_too_long:"), failed.error());
            assertTrue(failed.error().contains(String.valueOf(context)), failed.error());
            assertEquals(0, failed.completionTokens());
            assertNull(failed.finishReason());
            assertEquals(0, failed.forwardPasses());
        }
        assertEquals(context, r.get("too-long").promptTokens());
        GenerationResult fits = r.get("just-fits");
        assertTrue(fits.ok(), fits.error());
        assertEquals(1, fits.completionTokens(), "one position left in the context");
        assertEquals(FinishReason.LENGTH, fits.finishReason());
        Map<String, GenerationResult> reference = alone(List.of(requests.get(0), requests.get(4)), Set.of());
        assertSameOutput(reference.get("a"), r.get("a"));
        assertSameOutput(reference.get("b"), r.get("b"));
        assertEquals(6, r.get("a").completionTokens());
    }

    @Test
    void contextLengthCutsGenerationShort() {
        GenerationRequest near = request("near", CONFIG.maxPositions() - 8, 50, 6);
        for (Drafter drafter : new Drafter[] {null, drafter("chain:3"), drafter("nodes:6")}) {
            try (BatchDecoder d = decoder(drafter, 64L << 20, 2, Set.of())) {
                d.submit(near);
                GenerationResult r = d.runToCompletion().get(0);
                assertTrue(r.ok(), r.error());
                assertEquals(8, r.completionTokens());
                assertEquals(FinishReason.LENGTH, r.finishReason());
            }
        }
    }

    /**
     * max_new_tokens = Integer.MAX_VALUE ("until the context ends", which a job row may ask) once wrapped the cache's
     * size to a negative count, and the prefill's exception lost every sequence of the batch.
     */
    @Test
    void unboundedMaxNewTokensRunsToTheContextBesideOthers() {
        GenerationRequest unbounded = request("unbounded", 5, Integer.MAX_VALUE, 10);
        GenerationRequest other = request("other", 7, 4, 12);
        for (Drafter drafter : new Drafter[] {null, drafter("chain:2")}) {
            try (BatchDecoder d = decoder(drafter, 64L << 20, 2, Set.of())) {
                d.submit(unbounded);
                d.submit(other);
                Map<String, GenerationResult> r = byId(d.runToCompletion());
                GenerationResult u = r.get("unbounded");
                assertTrue(u.ok(), u.error());
                assertEquals(FinishReason.LENGTH, u.finishReason());
                assertEquals(CONFIG.maxPositions() - 5, u.completionTokens());
                assertTrue(r.get("other").ok(), r.get("other").error());
                assertEquals(4, r.get("other").completionTokens());
            }
        }
    }

    @Test
    void tokenOutsideTheVocabularyFails() {
        try (BatchDecoder d = decoder(null, 64L << 20, 2, Set.of())) {
            d.submit(new GenerationRequest("bad", new int[] {1, CONFIG.vocabSize()}, 3, SamplingParams.GREEDY,
                    List.of()));
            d.submit(new GenerationRequest("neg", new int[] {-1}, 3, SamplingParams.GREEDY, List.of()));
            d.submit(request("ok", 3, 3, 8));
            Map<String, GenerationResult> r = byId(d.runToCompletion());
            assertTrue(r.get("bad").error().startsWith("invalid_token:"), r.get("bad").error());
            assertTrue(r.get("neg").error().startsWith("invalid_token:"), r.get("neg").error());
            assertTrue(r.get("ok").ok());
        }
    }

    @Test
    void requestLargerThanTheWholeKvBudgetFailsNamingBytes() {
        KvCacheBudget probe = new KvCacheBudget(CONFIG, 1);
        // Plain decoding reserves prompt + max_new_tokens - 1 slots (no pass runs the last token).
        long smallNeeds = probe.bytesFor(4 + 4 - 1);
        long bigNeeds = probe.bytesFor(10 + 40 - 1);
        long budget = (smallNeeds + bigNeeds) / 2;
        try (BatchDecoder d = decoder(null, budget, 4, Set.of())) {
            d.submit(request("small", 4, 4, 10));
            d.submit(request("big", 10, 40, 11));
            d.submit(request("small2", 4, 4, 12));
            Map<String, GenerationResult> r = byId(d.runToCompletion());
            GenerationResult big = r.get("big");
            assertFalse(big.ok());
            assertTrue(big.error().startsWith("kv_cache_budget:"), big.error());
            assertTrue(big.error().contains(bigNeeds + " bytes"), big.error());
            assertTrue(big.error().contains(budget + " bytes"), big.error());
            assertTrue(r.get("small").ok(), r.get("small").error());
            assertTrue(r.get("small2").ok(), r.get("small2").error());
        }
        // Under multi-token decoding a request that does not fit even without a tree's scratch fails the same way.
        try (BatchDecoder d = decoder(drafter("chain:3"), bigNeeds - 1, 4, Set.of())) {
            d.submit(request("big", 10, 40, 11));
            GenerationResult r = d.runToCompletion().get(0);
            assertTrue(r.error().startsWith("kv_cache_budget:") && r.error().contains(bigNeeds + " bytes"),
                    r.error());
        }
    }

    @Test
    void requestThatFitsTheBudgetOnlyWithoutTreeScratchIsDecodedPlainly() {
        KvCacheBudget probe = new KvCacheBudget(CONFIG, 1);
        Drafter chain = drafter("chain:3");
        // 16 tokens but the last fill one 16-slot size class; a tree's nodes past its root would need the next.
        int prompt = 5;
        int maxNew = 12;
        long plainNeeds = probe.bytesFor(prompt + maxNew - 1);
        assertTrue(probe.bytesFor(prompt + maxNew - 1 + chain.maxTreeNodes() - 1) > plainNeeds);
        List<GenerationRequest> requests = List.of(request("greedy", prompt, maxNew, 14),
                request("sampled", prompt, maxNew, 15));
        assertDecodedPlainly(chain, plainNeeds, requests);
        // With room for the tree, the same requests draft.
        try (BatchDecoder d = decoder(chain, 64L << 20, 4, Set.of())) {
            requests.forEach(d::submit);
            for (GenerationResult result : d.runToCompletion()) {
                assertTrue(result.treeNodes() > result.decodePasses(), result.id() + ": drafted trees");
            }
        }
    }

    /**
     * {@code nodes:N} takes any positive int: a tree budget near 2^31 slots, whose scratch no KV budget holds, decodes
     * plainly like any other. The slot count's int sum wrapped negative (a negative cache size) or its size class
     * overflowed, and the step failed every request in flight.
     */
    @ParameterizedTest
    @ValueSource(ints = {Integer.MAX_VALUE, Integer.MAX_VALUE - 16, 2_000_000_000})
    void treeNodeBudgetBeyondAnyCacheDecodesPlainly(int nodes) {
        List<GenerationRequest> requests = List.of(request("greedy", 5, 12, 16), request("sampled", 3, 20, 17));
        assertDecodedPlainly(drafter("nodes:" + nodes), 64L << 20, requests);
    }

    /** Under {@code drafter} and a budget of {@code budgetBytes}, each request decodes as alone and plainly. */
    private static void assertDecodedPlainly(Drafter drafter, long budgetBytes, List<GenerationRequest> requests) {
        Map<String, GenerationResult> expected = alone(requests, Set.of());
        try (BatchDecoder d = decoder(drafter, budgetBytes, 4, Set.of())) {
            requests.forEach(d::submit);
            Map<String, GenerationResult> r = byId(d.runToCompletion());
            for (GenerationRequest request : requests) {
                GenerationResult result = r.get(request.id());
                assertSameOutput(expected.get(request.id()), result);
                assertEquals(result.decodePasses(), result.treeNodes(), request.id() + ": plain trees are a root");
            }
        }
    }

    /**
     * A budget of exactly the slots decoding writes runs the request: a pass writes the prompt and every generated
     * token but the last, and a tree's nodes past its root. The decoder reserved two slots more, so that a budget of
     * one whole context refused a request running to the context's end ("needs" the next size class).
     */
    @Test
    void requestThatExactlyFillsTheBudgetRuns() {
        KvCacheBudget probe = new KvCacheBudget(CONFIG, 1);
        List<GenerationRequest> requests = List.of(request("greedy", 100, Integer.MAX_VALUE, 16),
                request("sampled", 4, 61, 17)); // 127 and 64 slots: whole size classes
        Map<String, GenerationResult> expected = alone(requests, Set.of());
        for (Drafter drafter : new Drafter[] {null, drafter("chain:3"), drafter("static")}) {
            int scratch = drafter == null ? 0 : drafter.maxTreeNodes() - 1;
            for (GenerationRequest request : requests) {
                int tokens = (int) Math.min(CONFIG.maxPositions(),
                        (long) request.promptIds().length + request.maxNewTokens());
                try (BatchDecoder d = decoder(drafter, probe.bytesFor(tokens - 1 + scratch), 1, Set.of())) {
                    d.submit(request);
                    GenerationResult result = d.runToCompletion().get(0);
                    assertSameOutput(expected.get(request.id()), result);
                    if (drafter != null) {
                        assertTrue(result.treeNodes() > result.decodePasses(), request.id() + ": drafted trees");
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------ memory limits

    /** Runs step by step; returns results with the step each finished in, checking the budget is never exceeded. */
    private static Map<String, Integer> stepsToFinish(BatchDecoder d, KvCacheBudget budget,
                                                      Map<String, GenerationResult> results) {
        Map<String, Integer> finishedAt = new HashMap<>();
        int step = 0;
        while (d.hasWork()) {
            d.step();
            step++;
            assertTrue(budget.usedBytes() <= budget.budgetBytes());
            for (GenerationResult r : d.drainFinished()) {
                finishedAt.put(r.id(), step);
                results.put(r.id(), r);
            }
            assertTrue(step < 1000, "no progress");
        }
        assertEquals(0, budget.usedBytes(), "every cache released");
        return finishedAt;
    }

    @Test
    void budgetForTwoRunsTwoAtATimeWithTheSameOutputs() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            requests.add(request("r" + i, 6, 5, 20 + i)); // 12 slots each
        }
        for (Drafter drafter : new Drafter[] {null, drafter("chain:2"), drafter("static")}) {
            int slots = 6 + 5 - 1 + (drafter == null ? 0 : drafter.maxTreeNodes() - 1);
            KvCacheBudget big = new KvCacheBudget(CONFIG, 64L << 20);
            KvCacheBudget tight = new KvCacheBudget(CONFIG, big.bytesFor(slots) * 5 / 2);
            Map<String, GenerationResult> free = new HashMap<>();
            Map<String, GenerationResult> limited = new HashMap<>();
            Map<String, Integer> freeSteps;
            Map<String, Integer> limitedSteps;
            try (BatchDecoder d = new BatchDecoder(transformer, big, drafter, Set.of(), TestDecoders.TEXT, 8)) {
                requests.forEach(d::submit);
                freeSteps = stepsToFinish(d, big, free);
            }
            try (BatchDecoder d = new BatchDecoder(transformer, tight, drafter, Set.of(), TestDecoders.TEXT, 8)) {
                requests.forEach(d::submit);
                assertEquals(6, d.inFlight());
                limitedSteps = stepsToFinish(d, tight, limited);
            }
            String what = drafter == null ? "plain" : "tree";
            assertEquals(6, limited.size(), what);
            for (GenerationRequest r : requests) {
                assertSameOutput(free.get(r.id()), limited.get(r.id()));
            }
            // First come, first served, at most two at a time: r_i starts only once i - 1 earlier ones finished.
            for (int i = 2; i < 6; i++) {
                List<Integer> earlier = new ArrayList<>();
                for (int j = 0; j < i; j++) {
                    earlier.add(limitedSteps.get("r" + j));
                }
                earlier.sort(null);
                assertTrue(limitedSteps.get("r" + i) > earlier.get(i - 2), what + ": r" + i + " finished at step "
                        + limitedSteps.get("r" + i) + " but could only start after step " + earlier.get(i - 2));
            }
            int lastFree = freeSteps.values().stream().max(Integer::compare).orElseThrow();
            int lastLimited = limitedSteps.values().stream().max(Integer::compare).orElseThrow();
            assertTrue(lastLimited > lastFree, what + ": waiting takes more steps (" + lastLimited + " vs "
                    + lastFree + ")");
            if (drafter == null) {
                // Plain decoding of 5 tokens takes 5 passes: the waves finish at 5, 10, 15.
                assertEquals(List.of(5, 5, 10, 10, 15, 15),
                        IntStream.range(0, 6).mapToObj(i -> limitedSteps.get("r" + i)).toList());
                assertEquals(5, lastFree);
            }
        }
    }

    /**
     * A decoder whose every request waits for KV memory another decoder of the engine holds gives up its core while
     * it waits: callers loop on step(), which once returned at once, millions of empty steps a second.
     */
    @Test
    void stepsWaitingForMemoryHeldElsewhereDoNotSpin() {
        KvCacheBudget tight = new KvCacheBudget(CONFIG, new KvCacheBudget(CONFIG, 1).bytesFor(CONFIG.maxPositions()));
        var holder = tight.tryAllocate(CONFIG.maxPositions()); // another decoder's sequence, holding all of it
        try (BatchDecoder waiting = new BatchDecoder(transformer, tight, null, Set.of(), TestDecoders.TEXT, 2)) {
            waiting.submit(request("waits", 5, 4, 1));
            long end = System.nanoTime() + 200_000_000L;
            int steps = 0;
            while (System.nanoTime() < end) {
                waiting.step();
                steps++;
            }
            assertTrue(waiting.hasWork(), "still waiting for the memory");
            assertTrue(steps < 10_000, steps + " steps in 200 ms: the waiting decoder spins");
            tight.release(holder);
            List<GenerationResult> results = waiting.runToCompletion();
            assertTrue(results.get(0).ok(), results.get(0).error());
        }
    }

    /**
     * Decoders of one engine share its KV budget. Before, a freed cache went to whichever decoder asked next, so a
     * long request (half the budget) waited for good while another decoder kept admitting short requests into every
     * cache its staggered sequences released: the freed room never added up to the long request's.
     */
    @Test
    void aLongRequestIsNotStarvedByAnotherDecodersShortOnes() {
        KvCacheBudget budget = new KvCacheBudget(CONFIG, new KvCacheBudget(CONFIG, 1).bytesFor(CONFIG.maxPositions()));
        try (BatchDecoder longs = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 4);
             BatchDecoder shorts = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 8)) {
            int submitted = 0;
            for (; submitted < 8; submitted++) { // 16 slots each, finishing one a step: they fill the budget
                shorts.submit(request("short" + submitted, 4, 1 + submitted, submitted));
            }
            shorts.step();
            longs.submit(request("long", 10, 50, 99)); // 59 slots: half the budget
            int steps = 0;
            while (longs.hasWork() && steps < 500) {
                longs.step();
                for (; shorts.inFlight() < shorts.capacity(); submitted++) {
                    shorts.submit(request("short" + submitted, 4, 1 + submitted % 8, submitted));
                }
                shorts.step();
                assertTrue(shorts.drainFinished().stream().allMatch(GenerationResult::ok));
                steps++;
            }
            assertFalse(longs.hasWork(), "the long request still waits after " + steps + " steps");
            assertTrue(longs.drainFinished().get(0).ok());
            assertTrue(steps < 60, "the long request took " + steps + " steps: it waited for more than its turn");
        }
        assertEquals(0, budget.usedBytes());
        // A decoder closed while it waited leaves the line: the room it waited for is anyone's again.
        var holder = budget.tryAllocate(CONFIG.maxPositions() / 2);
        try (BatchDecoder waiter = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 1)) {
            waiter.submit(request("waits", 10, 100, 3));
            waiter.step();
            assertTrue(waiter.hasWork());
        }
        assertNotNull(budget.tryAllocate(CONFIG.maxPositions() / 2), "room kept for a closed decoder");
        budget.release(holder);
    }

    @Test
    void maxBatchLimitsSequencesInFlight() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            requests.add(request("m" + i, 3 + i, 4, 40 + i));
        }
        Map<String, GenerationResult> reference = alone(requests, Set.of());
        try (BatchDecoder d = decoder(null, 64L << 20, 2, Set.of())) {
            assertEquals(2, d.capacity());
            requests.forEach(d::submit);
            Map<String, GenerationResult> results = new HashMap<>();
            Map<String, Integer> steps = stepsToFinish(d, new KvCacheBudget(CONFIG, 1), results);
            for (GenerationRequest r : requests) {
                assertSameOutput(reference.get(r.id()), results.get(r.id()));
            }
            assertEquals(List.of(4, 4, 8, 8, 12), IntStream.range(0, 5).mapToObj(i -> steps.get("m" + i)).toList());
        }
    }

    // ------------------------------------------------------------------------------------ continuous batching

    @Test
    void submittingWhileRunningJoinsTheBatch() {
        Random random = new Random(50);
        Set<Integer> eos = Set.of(random.nextInt(CONFIG.vocabSize()));
        List<GenerationRequest> early = new ArrayList<>();
        List<GenerationRequest> late = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            early.add(request("early" + i, 2 + random.nextInt(8), 6 + random.nextInt(10), random.nextLong()));
            late.add(request("late" + i, 2 + random.nextInt(8), 6 + random.nextInt(10), random.nextLong()));
        }
        List<GenerationRequest> all = new ArrayList<>(early);
        all.addAll(late);
        Map<String, GenerationResult> reference = alone(all, eos);
        for (Drafter drafter : new Drafter[] {null, drafter("nodes:5"), drafter("chain:3")}) {
            try (BatchDecoder d = decoder(drafter, 64L << 20, 6, eos)) {
                early.forEach(d::submit);
                List<GenerationResult> results = new ArrayList<>();
                for (int step = 0; step < 3; step++) {
                    d.step();
                    results.addAll(d.drainFinished());
                }
                assertTrue(d.hasWork());
                for (GenerationRequest r : late) {
                    d.submit(r);
                    d.step(); // one new request per pass, while the early ones are mid-decode
                    results.addAll(d.drainFinished());
                }
                results.addAll(d.runToCompletion());
                assertFalse(d.hasWork());
                Map<String, GenerationResult> r = byId(results);
                assertEquals(8, r.size());
                for (GenerationRequest q : all) {
                    assertSameOutput(reference.get(q.id()), r.get(q.id()));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ stats

    private static void assertConsistentStats(GenerationResult r, Set<Integer> eos, boolean plain) {
        String what = r.id() + (plain ? " plain" : " tree");
        assertTrue(r.ok(), r.error());
        assertEquals(1 + r.decodePasses(), r.forwardPasses(), what + ": prefill plus decode passes");
        int[] histogram = r.acceptHistogram();
        assertEquals(r.decodePasses(), IntStream.of(histogram).sum(), what + ": histogram counts decode passes");
        int tokens = 0;
        for (int i = 0; i < histogram.length; i++) {
            tokens += (i + 1) * histogram[i];
        }
        assertEquals(r.decodeTokens(), tokens, what + ": histogram counts tokens");
        int eosToken = r.finishReason() == FinishReason.EOS ? 1 : 0;
        assertEquals(1 + r.decodeTokens(), r.completionTokens() + eosToken, what + ": prefill token plus decoded");
        assertTrue(r.treeNodes() >= r.decodePasses(), what);
        assertTrue(r.decodeNanos() > 0, what);
        if (plain) {
            assertEquals(1, histogram.length, what);
            assertEquals(r.decodePasses(), r.treeNodes(), what + ": plain trees are a root");
            assertEquals(r.decodePasses() == 0 ? 0.0 : 1.0, r.tokensPerPass(), what);
        } else {
            assertTrue(r.tokensPerPass() >= (r.decodePasses() == 0 ? 0.0 : 1.0), what);
            assertTrue(r.tokensPerPass() <= histogram.length, what);
        }
    }

    /**
     * The ledger a job prices its passes from counts what the results say the passes did, and prices plain decoding
     * (passes of as many rows as sequences, a token each) at exactly plain decoding's cost.
     */
    @Test
    void passLedgerAgreesWithTheResults() {
        Random random = new Random(61);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            requests.add(request("s" + i, 1 + random.nextInt(10), 1 + random.nextInt(20), random.nextLong()));
        }
        PassCostCurve curve = new PassCostCurve(new int[] {1, 2, 4, 8, 16}, new double[] {1.0, 1.1, 1.3, 1.9, 3.1});
        for (Drafter drafter : new Drafter[] {null, drafter("chain:3"), drafter("nodes:8")}) {
            try (BatchDecoder d = decoder(drafter, 64L << 20, 3, Set.of(3, 17))) {
                requests.forEach(d::submit);
                List<GenerationResult> results = d.runToCompletion();
                PassLedger ledger = d.passLedger();
                assertEquals(results.stream().mapToLong(GenerationResult::treeNodes).sum(), ledger.rows());
                assertEquals(results.stream().mapToLong(GenerationResult::decodeTokens).sum(), ledger.tokens());
                if (drafter == null) {
                    assertEquals(1.0, ledger.costOverPlain(curve));
                } else {
                    assertTrue(ledger.costOverPlain(curve) > 0, "priced: " + ledger.costOverPlain(curve));
                }
            }
        }
    }

    @Test
    void statisticsAddUp() {
        Random random = new Random(60);
        Set<Integer> eos = Set.of(3, 17);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            requests.add(request("s" + i, 1 + random.nextInt(10), 1 + random.nextInt(20), random.nextLong()));
        }
        requests.add(request("one", 4, 1, 61));
        for (Drafter drafter : new Drafter[] {null, drafter("chain:3"), drafter("nodes:8"), drafter("static")}) {
            try (BatchDecoder d = decoder(drafter, 64L << 20, 4, eos)) {
                requests.forEach(d::submit);
                List<GenerationResult> results = d.runToCompletion();
                results.sort(Comparator.comparing(GenerationResult::id));
                assertEquals(requests.size(), results.size());
                for (GenerationResult r : results) {
                    assertConsistentStats(r, eos, drafter == null);
                }
                GenerationResult one = byId(results).get("one");
                assertEquals(1, one.forwardPasses(), "max_new_tokens 1: the prefill pass alone");
                assertEquals(0, one.decodePasses());
                assertEquals(0.0, one.tokensPerPass());
                if (drafter != null) {
                    assertEquals(drafter.maxTokensPerPass(), results.get(0).acceptHistogram().length);
                    assertNotNull(results.get(0).headAccepted());
                }
            }
        }
        // Plain decoding with no early stop: max_new_tokens passes, one token each.
        try (BatchDecoder d = decoder(null, 64L << 20, 4, Set.of())) {
            d.submit(request("len", 5, 12, 62));
            GenerationResult r = d.runToCompletion().get(0);
            assertEquals(12, r.forwardPasses());
            assertEquals(11, r.decodePasses());
            assertEquals(1.0, r.tokensPerPass());
            assertArrayEquals(new int[] {11}, r.acceptHistogram());
        }
    }

    /**
     * Before, a closed decoder took requests and ran them: a late request kept its KV cache for good (nothing closes
     * the decoder again), and runToCompletion returned nothing for the request that close had dropped.
     */
    @Test
    void aClosedDecoderRefusesWork() {
        KvCacheBudget budget = new KvCacheBudget(CONFIG, 8L << 20);
        BatchDecoder decoder = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 2);
        decoder.submit(request("in flight", 5, 20, 2));
        decoder.step();
        decoder.close();
        decoder.close(); // a second close does nothing
        assertEquals(0, budget.usedBytes());
        for (Runnable use : List.<Runnable>of(() -> decoder.submit(request("late", 5, 20, 4)), decoder::step,
                decoder::runToCompletion)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
        assertEquals(0, budget.usedBytes());
    }

    /**
     * Before, a thread interrupted while its requests waited for KV memory went on waiting: parkNanos returns at once
     * for an interrupted thread, so each step spun straight back, and the interrupt never surfaced.
     */
    @Test
    void anInterruptWhileWaitingForMemoryEndsTheWait() {
        KvCacheBudget budget = new KvCacheBudget(CONFIG, new KvCacheBudget(CONFIG, 1).bytesFor(CONFIG.maxPositions()));
        try (BatchDecoder holder = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 1);
             BatchDecoder waiter = new BatchDecoder(transformer, budget, null, Set.of(), TestDecoders.TEXT, 1)) {
            holder.submit(request("holder", 5, Integer.MAX_VALUE, 2));
            holder.step(); // its cache takes the whole budget
            waiter.submit(request("waiter", 5, Integer.MAX_VALUE, 4));
            Thread.currentThread().interrupt();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
                    for (int i = 0; i < 5_000 && waiter.hasWork(); i++) {
                        waiter.step();
                    }
                });
                assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set for the caller");
            } finally {
                Thread.interrupted();
            }
        }
    }
}
