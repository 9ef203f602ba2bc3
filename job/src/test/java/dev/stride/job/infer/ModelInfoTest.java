package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.stride.decoder.engine.PassLedger;
import dev.stride.decoder.mtp.PassCostCurve;
import org.junit.jupiter.api.Test;

/**
 * The summary's pass_cost_ratio makes the report's plain-decoding estimate (cost x mean_tokens_per_pass /
 * pass_cost_ratio) what the run's own passes say plain decoding would have cost.
 */
class ModelInfoTest {

    private static final int[] ROWS = {1, 2, 4, 8, 16};
    private static final double[] SECONDS = {1.0, 1.2, 1.5, 2.0, 3.0};

    private static ModelInfo model(int[] rows, double[] seconds) {
        return new ModelInfo("m", "/m", 1, 1, "F16", "packed_float16", "h", "/h", 2, 1, 10, rows, seconds);
    }

    @Test
    void anAutoRunThatDecodedPlainlySavedNothing() {
        PassLedger plain = ledger(new int[] {4, 4, 4}, new int[] {4, 4, 4}, new int[] {4, 4, 4});
        // It was priced at a 16-row pass (3x): the report said plain decoding would have cost a third.
        assertEquals(1.0, model(ROWS, SECONDS).passCostRatio(plain, 1.0), 1e-12);
    }

    @Test
    void theReportsEstimateIsWhatThePassesSay() {
        PassLedger passes = ledger(new int[] {4, 4}, new int[] {12, 8}, new int[] {9, 6});
        double meanTokensPerPass = 15 / 8.0;
        Double ratio = model(ROWS, SECONDS).passCostRatio(passes, meanTokensPerPass);
        double cost = 10.0;
        PassCostCurve curve = new PassCostCurve(ROWS, SECONDS);
        double plainCost = cost * (15 / 4.0 * curve.cost(4)) / (curve.cost(12) + curve.cost(8));
        assertEquals(plainCost, cost * meanTokensPerPass / ratio, 1e-9);
    }

    @Test
    void nothingToPriceWithoutDecodePassesOrACurve() {
        PassLedger passes = ledger(new int[] {1}, new int[] {3}, new int[] {2});
        assertNull(model(ROWS, SECONDS).passCostRatio(new PassLedger(), 0.0), "no decode pass");
        assertNull(model(null, null).passCostRatio(passes, 2.0), "plain decoding");
    }

    /** One pass per entry: sequences, rows and tokens. */
    private static PassLedger ledger(int[] sequences, int[] rows, int[] tokens) {
        PassLedger ledger = new PassLedger();
        for (int i = 0; i < sequences.length; i++) {
            ledger.record(sequences[i], rows[i], tokens[i]);
        }
        return ledger;
    }
}
