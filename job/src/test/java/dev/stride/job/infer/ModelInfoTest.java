package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The pass-cost ratio the summary reports is read off the engine's curve at the passes decoding actually ran. */
class ModelInfoTest {

    private static ModelInfo withCurve(int[] rows, double[] seconds) {
        return new ModelInfo("m", "/m", 1, 1, "F16", "packed_float16", "h", "/h", 2, 1, 10, rows, seconds);
    }

    @Test
    void ratioAtTheMeanTreeOfTheRunsPasses() {
        ModelInfo model = withCurve(new int[] {1, 2, 4, 16}, new double[] {1.0, 1.2, 1.5, 3.0});
        // An auto run that decoded plainly carried one row a pass: it cost what plain decoding costs (it was priced
        // at 16 rows, 3x, so the report said plain decoding would have cost a third).
        assertEquals(1.0, model.passCostRatio(1.0), 1e-12);
        assertEquals(1.2, model.passCostRatio(2.0), 1e-12);
        assertEquals(1.35, model.passCostRatio(3.0), 1e-12);
        assertEquals(1.1, model.passCostRatio(1.5), 1e-12);
        assertEquals(3.0 + 1.5 / 12 * 4, model.passCostRatio(20.0), 1e-12); // extrapolated past the last point
        assertNull(model.passCostRatio(0.0), "no decode pass: nothing to compare");
        assertNull(model.passCostRatio(Double.NaN));
    }

    @Test
    void plainDecodingHasNoRatio() {
        assertNull(withCurve(null, null).passCostRatio(1.0));
    }
}
