package dev.stride.decoder.mtp;

/**
 * What speculation costs on this device, by the number of rows: a verification pass carrying n rows, and the heads
 * run on n hidden states: the first head level, and each level after it (less than the first where the heads share
 * one projection, whose rows for all levels run in one matmul). {@link CostAwareTree} weighs expected accepted
 * tokens against both.
 */
public record SpeculationCosts(PassCostCurve pass, PassCostCurve firstHead, PassCostCurve nextHead) {

    private static final PassCostCurve FREE = new PassCostCurve(new int[] {1}, new double[] {0});

    /** Costs where every head level costs the same. */
    public SpeculationCosts(PassCostCurve pass, PassCostCurve perHead) {
        this(pass, perHead, perHead);
    }

    /** Costs where running heads is negligible next to a pass. */
    public static SpeculationCosts passOnly(PassCostCurve pass) {
        return new SpeculationCosts(pass, FREE);
    }

    /** Time of head levels [0, levels) on n hidden states. */
    public double heads(int levels, int n) {
        return levels == 0 ? 0 : firstHead.cost(n) + (levels - 1) * nextHead.cost(n);
    }
}
