package dev.stride.decoder.train;

/** Global gradient-norm clipping: one bad batch cannot throw the heads far from where they were. */
final class GradientClipping {

    private GradientClipping() {
    }

    /** Scales all gradients so their joint L2 norm is at most {@code maxNorm}; returns the norm before clipping. */
    static double clip(HeadModel grads, double maxNorm) {
        double sum = 0;
        for (float[] g : grads.tensors()) {
            for (float value : g) {
                sum += (double) value * value;
            }
        }
        double norm = Math.sqrt(sum);
        if (norm > maxNorm) {
            float scale = (float) (maxNorm / norm);
            for (float[] g : grads.tensors()) {
                for (int i = 0; i < g.length; i++) {
                    g[i] *= scale;
                }
            }
        }
        return norm;
    }
}
