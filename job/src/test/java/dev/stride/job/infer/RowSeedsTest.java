package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class RowSeedsTest {

    @Test
    void derivedSeedsAreFixedValuesOfJobSeedAndId() {
        // Pinned (values from an independent implementation): changing the algorithm would change the sampled
        // completion of every row without a seed.
        assertEquals(GOLDEN_0_17, RowSeeds.derive(0, "17"));
        assertEquals(GOLDEN_42_PROMPTS_3, RowSeeds.derive(42, "prompts:3"));
    }

    @Test
    void seedAndIdBothMatter() {
        assertNotEquals(RowSeeds.derive(0, "a"), RowSeeds.derive(1, "a"));
        assertNotEquals(RowSeeds.derive(0, "a"), RowSeeds.derive(0, "b"));
        // Concatenations that coincide as strings stay apart.
        assertNotEquals(RowSeeds.derive(1, "2"), RowSeeds.derive(12, ""));
    }

    private static final long GOLDEN_0_17 = 5378087159933701152L;
    private static final long GOLDEN_42_PROMPTS_3 = -2684000630942497757L;
}
