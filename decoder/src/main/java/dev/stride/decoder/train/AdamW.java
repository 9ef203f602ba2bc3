package dev.stride.decoder.train;

import dev.stride.decoder.compute.ComputePool;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), applied to the residual blocks' matrices only: decaying
 * biases and the copied lm_head rows (the projections) toward zero would only fight the initialisation.
 * Element-wise, so threads cannot change it.
 */
public final class AdamW {

    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    static final float EPSILON = 1e-8f;

    private final ComputePool pool;
    private final double weightDecay;
    final HeadModel m; // first moments
    final HeadModel v; // second moments

    public AdamW(ComputePool pool, HeadModel params, double weightDecay) {
        this.pool = pool;
        this.weightDecay = weightDecay;
        this.m = HeadModel.zerosLike(params);
        this.v = HeadModel.zerosLike(params);
    }

    /**
     * One update.
     *
     * @param t 1-based count of updates so far, for bias correction
     */
    public void step(HeadModel params, HeadModel grads, double lr, long t) {
        List<float[]> p = params.tensors();
        List<float[]> g = grads.tensors();
        List<float[]> m1 = m.tensors();
        List<float[]> m2 = v.tensors();
        float correction1 = (float) (1 - Math.pow(BETA1, t));
        float correction2 = (float) (1 - Math.pow(BETA2, t));
        float rate = (float) lr;
        for (int i = 0; i < p.size(); i++) {
            float decay = params.isBlockMatrix(i) ? (float) (1 - lr * weightDecay) : 1f;
            float[] w = p.get(i);
            float[] grad = g.get(i);
            float[] first = m1.get(i);
            float[] second = m2.get(i);
            pool.parallelFor(w.length, (start, end, worker) -> {
                for (int j = start; j < end; j++) {
                    float gj = grad[j];
                    first[j] = BETA1 * first[j] + (1 - BETA1) * gj;
                    second[j] = BETA2 * second[j] + (1 - BETA2) * gj * gj;
                    float update = (first[j] / correction1) / ((float) Math.sqrt(second[j] / correction2) + EPSILON);
                    w[j] = w[j] * decay - rate * update;
                }
            });
        }
    }
}
