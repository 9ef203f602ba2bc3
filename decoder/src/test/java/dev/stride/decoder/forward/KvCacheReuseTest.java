package dev.stride.decoder.forward;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Released KV caches are reused by size class, within the budget, without changing a bit of any pass. */
class KvCacheReuseTest {

    private static final ModelConfig CONFIG = TinyModels.llama();

    @Test
    void sizeClassesRoundUpByAtMostASixteenthAndAreStable() {
        for (int slots = 1; slots <= 70_000; slots++) {
            int capacity = KvCacheBudget.capacityFor(slots);
            assertTrue(capacity >= slots, "slots " + slots);
            assertEquals(0, capacity % KvCacheBudget.MIN_CLASS_STEP, "slots " + slots);
            assertTrue(capacity - slots < Math.max(KvCacheBudget.MIN_CLASS_STEP, slots / 16 + 1), "slots " + slots);
            assertEquals(capacity, KvCacheBudget.capacityFor(capacity), "slots " + slots);
        }
    }

    @Test
    void aReleasedCacheServesTheNextRequestOfItsClass() {
        KvCacheBudget budget = new KvCacheBudget(CONFIG, 64L << 20);
        KvCache first = budget.tryAllocate(20);
        assertEquals(32, first.capacity());
        budget.release(first);
        assertEquals(budget.bytesFor(20), budget.idleBytes());
        assertEquals(0, budget.usedBytes());
        assertSame(first, budget.tryAllocate(30), "same class: reused");
        assertEquals(0, budget.idleBytes());
        KvCache other = budget.tryAllocate(40);
        assertNotSame(first, other, "another class or in use: a new cache");
        assertEquals(48, other.capacity());
    }

    @Test
    void idleCachesGiveWayToNewOnesAndNeverOutnumberThePeakInUse() {
        KvCacheBudget probe = new KvCacheBudget(CONFIG, 1);
        KvCacheBudget budget = new KvCacheBudget(CONFIG, probe.bytesFor(16) * 3);
        List<KvCache> three = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            three.add(budget.tryAllocate(16));
        }
        assertNull(budget.tryAllocate(16), "budget full");
        three.forEach(budget::release);
        assertEquals(budget.budgetBytes(), budget.idleBytes());
        // A cache of another class takes the room of two idle ones (the oldest); the third stays for reuse.
        KvCache wide = budget.tryAllocate(32);
        assertEquals(budget.bytesFor(16), budget.idleBytes());
        assertSame(three.get(2), budget.tryAllocate(16));
        budget.release(wide);

        KvCacheBudget roomy = new KvCacheBudget(CONFIG, 64L << 20);
        KvCache only = roomy.tryAllocate(16);
        roomy.release(only);
        roomy.release(roomy.tryAllocate(100)); // at most one was ever in use: one idle cache, the newest
        assertEquals(roomy.bytesFor(100), roomy.idleBytes());
    }

    @Test
    void aCacheIsReleasedOnceAndDropIdleFreesTheRest() {
        List<KvCache> freed = new ArrayList<>();
        KvCacheBudget budget = new KvCacheBudget(CONFIG, 64L << 20, new KvCacheBudget.Allocator() {
            @Override
            public KvCache allocate(int slots) {
                return new HeapKvCache(CONFIG.numLayers(), slots, CONFIG.numKvHeads(), CONFIG.headDim());
            }

            @Override
            public void free(KvCache cache) {
                freed.add(cache);
            }
        });
        KvCache a = budget.tryAllocate(16);
        KvCache b = budget.tryAllocate(16);
        budget.release(a);
        assertThrows(IllegalStateException.class, () -> budget.release(a), "two sequences would share it");
        assertThrows(IllegalStateException.class, () -> new KvCacheBudget(CONFIG, 1 << 20).release(b),
                "not from that budget");
        budget.dropIdle();
        assertEquals(List.of(a), freed, "idle ones only");
        assertEquals(0, budget.idleBytes());
        assertEquals(budget.bytesFor(16), budget.usedBytes());
    }

    /**
     * Whatever a reused cache still holds past the slots a sequence writes never reaches its logits: prefill and
     * token-by-token passes (with tree-style extra slots in later key blocks) on a cache poisoned with NaN give the
     * bits of a fresh cache, also with a sliding window and grouped heads.
     */
    @Test
    void aPoisonedCacheGivesTheBitsOfAFreshOne() {
        Random random = new Random(29);
        ModelConfig[] configs = {CONFIG, TinyModels.config(Architecture.MISTRAL, 32, 4, 2, 1, 47, 64, 5)};
        for (ModelConfig config : configs) {
            int[] tokens = random.ints(37, 0, config.vocabSize()).toArray(); // ends inside a third key block
            try (ComputePool pool = new ComputePool(2)) {
                Transformer t = new Transformer(config, TinyModels.weights(config, random.nextLong()),
                        new VectorOps(pool), pool);
                assertArrayEquals(logits(t, tokens, false), logits(t, tokens, true), config.architecture().name());
            }
        }
    }

    /** Logits of a 9-token prefill, then of each token's pass: the token and a two-candidate chain beside it. */
    private static float[] logits(Transformer t, int[] tokens, boolean poisoned) {
        int vocab = t.config().vocabSize();
        HeapKvCache cache = (HeapKvCache) new KvCacheBudget(t.config(), 1 << 24).tryAllocate(tokens.length + 2);
        if (poisoned) {
            for (int layer = 0; layer < t.config().numLayers(); layer++) {
                Arrays.fill(cache.keys(layer), Float.NaN);
                Arrays.fill(cache.values(layer), Float.NaN);
            }
        }
        int prefill = 9;
        float[] logits = new float[(prefill + 3 * (tokens.length - prefill)) * vocab];
        PassBatch batch = new PassBatch();
        for (int i = 0; i < prefill; i++) {
            batch.addCausal(cache, tokens[i], i, true);
        }
        PassOutput out = t.forward(batch);
        System.arraycopy(out.logits(), 0, logits, 0, prefill * vocab);
        int at = prefill * vocab;
        for (int i = prefill; i < tokens.length; i++) {
            batch.clear();
            batch.addCausal(cache, tokens[i], i, true);
            // A chain of two candidates after token i in the scratch slots past the sequence.
            int scratch = tokens.length;
            batch.add(cache, tokens[(i + 1) % tokens.length], i + 1, scratch, i + 1, new int[] {scratch}, 1, true);
            batch.add(cache, tokens[(i + 5) % tokens.length], i + 2, scratch + 1, i + 1,
                    new int[] {scratch, scratch + 1}, 2, true);
            out = t.forward(batch);
            System.arraycopy(out.logits(), 0, logits, at, 3 * vocab);
            at += 3 * vocab;
        }
        return logits;
    }
}
