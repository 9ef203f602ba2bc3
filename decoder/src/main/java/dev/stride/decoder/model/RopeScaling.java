package dev.stride.decoder.model;

/**
 * Rotary frequency adjustment from config.json {@code rope_scaling}.
 *
 * @param type "default", "linear" or "llama3"
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    public static final RopeScaling NONE = new RopeScaling("default", 1, 1, 1, 0);

    /** Inverse frequencies for a head of {@code headDim}, Hugging Face convention (pairs i and i + headDim/2). */
    public double[] inverseFrequencies(double theta, int headDim) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / StrictMath.pow(theta, (2.0 * i) / headDim);
        }
        switch (type) {
            case "default" -> { }
            case "linear" -> {
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
            }
            case "llama3" -> applyLlama3(inv);
            default -> throw new IllegalStateException("unsupported rope_scaling type " + type);
        }
        return inv;
    }

    /** Llama 3.1: long wavelengths are slowed by factor, short ones kept, the band between interpolated. */
    private void applyLlama3(double[] inv) {
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] /= factor;
            } else if (wavelen >= highFreqWavelen) {
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
    }
}
