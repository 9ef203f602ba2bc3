package dev.stride.job.report;

/** Round steps (1, 2 or 5 times a power of ten) for histogram bins and chart axes. */
final class Ticks {

    private Ticks() {
    }

    /** The smallest round step at least {@code raw}; 1 when raw is not positive. */
    static double step(double raw) {
        if (!(raw > 0) || Double.isInfinite(raw)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double factor : new double[] {1, 2, 5}) {
            if (factor * magnitude >= raw * (1 - 1e-9)) {
                return factor * magnitude;
            }
        }
        return 10 * magnitude;
    }
}
