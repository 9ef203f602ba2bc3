package dev.stride.job.report;

/**
 * Hourly prices the cost figures assume.
 *
 * @param gpuHour USD per GPU-hour
 * @param cpuHour USD per CPU core-hour
 */
public record Prices(double gpuHour, double cpuHour) {

    public Prices {
        if (!(gpuHour >= 0 && gpuHour < Double.POSITIVE_INFINITY && cpuHour >= 0
                && cpuHour < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("prices must be finite and >= 0, got GPU-hour " + gpuHour
                    + ", CPU-hour " + cpuHour);
        }
    }
}
