package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** The engine-wide choice of ways of decoding. */
class DraftingRegimeTest {

    @Test
    void everyDecoderOfAnEngineSharesOneChoiceThatStartsWhereTold() {
        DraftingRegime regime = new DraftingRegime();
        assertSame(regime.arms(5), regime.arms(5));
        assertEquals(new ArmChoice.Plan(CostAwareTree.PLAIN, ArmChoice.NONE), regime.arms(5).next());
        assertEquals(CostAwareTree.ESTIMATE, new DraftingRegime(CostAwareTree.ESTIMATE).arms(5).next().current());
    }
}
