package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** The engine-wide choice of ways of decoding, and a way's measured rate. */
class DraftingRegimeTest {

    @Test
    void everyDecoderOfAnEngineSharesOneChoiceThatStartsWhereTold() {
        DraftingRegime regime = new DraftingRegime();
        assertSame(regime.arms(5), regime.arms(5));
        assertEquals(new ArmChoice.Plan(CostAwareTree.PLAIN, ArmChoice.NONE), regime.arms(5).next());
        assertEquals(CostAwareTree.ESTIMATE, new DraftingRegime(CostAwareTree.ESTIMATE).arms(5).next().current());
    }

    @Test
    void stalledCyclesDoNotCountAgainstARegime() {
        double[] seconds = {1, 1, 1, 1, 40};
        int[] tokens = {2, 2, 2, 2, 2};
        assertEquals(2.0, DraftingRegime.tokensPerSecond(seconds, tokens, 5), 1e-12, "the 40 s cycle is a stall");
        seconds[4] = 2.5;
        assertEquals(10 / 6.5, DraftingRegime.tokensPerSecond(seconds, tokens, 5), 1e-12, "a slow cycle is not");
        assertEquals(0.0, DraftingRegime.tokensPerSecond(seconds, tokens, 0));
    }
}
