package dev.stride.decoder.mtp;

/**
 * What speculation costs on this device, by the number of rows: a verification pass carrying n rows, and one
 * prediction head run on n hidden states. {@link CostAwareTree} weighs expected accepted tokens against both.
 */
public record SpeculationCosts(PassCostCurve pass, PassCostCurve perHead) {

    private static final PassCostCurve FREE = new PassCostCurve(new int[] {1}, new double[] {0});

    /** Costs where running a head is negligible next to a pass. */
    public static SpeculationCosts passOnly(PassCostCurve pass) {
        return new SpeculationCosts(pass, FREE);
    }
}
