package dev.stride.decoder.cli;

import dev.stride.decoder.compute.ComputePool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the float32 multiply-add rate the kernels could reach: every thread runs independent vector FMA chains
 * on values in registers, enough of them to hide the instruction's latency, so nothing but the FMA units limits it.
 */
final class PeakFlops {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int ITERATIONS = 2_000_000;

    private PeakFlops() {
    }

    /** Best observed floating-point operations per second (a multiply-add counts two) over all threads. */
    static double measureFlopsPerSecond(int threads) {
        double best = 0;
        float[] sinks = new float[threads];
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (ComputePool pool = new ComputePool(threads)) {
            int sinceImproved = 0;
            // Repeats until the best stops improving, as the JIT compiles the loop while it runs.
            for (int rep = 0; rep < 5 || (sinceImproved < 3 && System.nanoTime() < deadline); rep++) {
                long t0 = System.nanoTime();
                pool.parallelFor(threads, (start, end, worker) -> {
                    for (int t = start; t < end; t++) {
                        sinks[worker] += chains(t + 1);
                    }
                });
                double rate = (double) threads * ITERATIONS * 8 * 2 * F.length() / ((System.nanoTime() - t0) / 1e9);
                sinceImproved = rate > 1.02 * best ? 0 : sinceImproved + 1;
                best = Math.max(best, rate);
            }
        }
        float sink = 0;
        for (float s : sinks) {
            sink += s;
        }
        if (Float.isNaN(sink)) {
            throw new IllegalStateException("unreachable: keeps the chains from being optimized away");
        }
        return best;
    }

    /**
     * Eight independent chains of ITERATIONS multiply-adds each. The loop-carried vectors are never the receivers of
     * vector calls (see VectorOps.scaleAndMax): such a call can stay virtual and box every vector.
     */
    private static float chains(int seed) {
        FloatVector m = FloatVector.broadcast(F, 0.999999f);
        FloatVector a = FloatVector.broadcast(F, 1e-7f * seed);
        FloatVector c0 = FloatVector.broadcast(F, 1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = m.fma(c0, a);
            c1 = m.fma(c1, a);
            c2 = m.fma(c2, a);
            c3 = m.fma(c3, a);
            c4 = m.fma(c4, a);
            c5 = m.fma(c5, a);
            c6 = m.fma(c6, a);
            c7 = m.fma(c7, a);
        }
        return FloatVector.zero(F).add(c0).add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7)
                .reduceLanes(VectorOperators.ADD);
    }
}
