package dev.stride.decoder.train;

/** Linear warm-up to the peak rate, then cosine decay to a floor at the last step. */
public record LearningRateSchedule(double peak, int warmupSteps, int totalSteps, double floorFraction) {

    public LearningRateSchedule {
        if (!(peak > 0) || warmupSteps < 0 || warmupSteps >= totalSteps || floorFraction < 0 || floorFraction > 1) {
            throw new IllegalArgumentException("bad learning-rate schedule: peak " + peak + ", warm-up " + warmupSteps
                    + ", steps " + totalSteps + ", floor " + floorFraction);
        }
    }

    /** Rate for the 0-based step. */
    public double at(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        int decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double floor = peak * floorFraction;
        return floor + (peak - floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
