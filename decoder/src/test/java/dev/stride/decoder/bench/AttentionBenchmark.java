package dev.stride.decoder.bench;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Attention's two sweeps for the heads of one key/value group over {@code keys} cached slots: the scores a key
 * block at a time, and the weighted sum of the values. {@code together} runs the group's heads through the
 * several-query kernels (each key and value read once for up to three heads), otherwise one head at a time; both
 * give every head the same bits. Single-threaded, as the transformer runs one (row, group) item per thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=10000"})
public class AttentionBenchmark {

    private static final int BLOCK = FloatVector.SPECIES_PREFERRED.length();

    @Param({"64", "448"})
    public int keys;

    /** Query heads per key/value head (the demo model has 3). */
    @Param({"3"})
    public int heads;

    @Param({"32", "64"})
    public int headDim;

    @Param({"true", "false"})
    public boolean together;

    private ComputePool pool;
    private VectorOps ops;
    private float[] q;
    private float[] keyBlocks;
    private float[] values;
    private float[] scores;
    private float[] out;
    private float[] sums;
    private int stride;

    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        int blocks = (keys + BLOCK - 1) / BLOCK;
        q = gaussians(random, heads * headDim);
        keyBlocks = gaussians(random, blocks * headDim * BLOCK);
        values = gaussians(random, keys * headDim);
        stride = blocks * BLOCK + 16;
        scores = new float[heads * stride];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = (float) random.nextDouble(); // softmax weights: the values' sweep reads these
        }
        out = new float[heads * headDim];
        sums = new float[heads];
        pool = new ComputePool(1);
        ops = new VectorOps(pool);
    }

    private static float[] gaussians(SplittableRandom random, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] scores() {
        for (int s = 0; s < keys; s += BLOCK) {
            int block = s / BLOCK * headDim * BLOCK;
            if (together) {
                ops.keyBlockScores(q, 0, heads, keyBlocks, block, headDim, BLOCK, scores, s, stride);
            } else {
                for (int j = 0; j < heads; j++) {
                    ops.keyBlockScores(q, j * headDim, keyBlocks, block, headDim, BLOCK, scores, j * stride + s);
                }
            }
        }
        return scores;
    }

    @Benchmark
    public float[] values() {
        if (together) {
            ops.addWeightedRows(scores, 0, stride, heads, keys, values, 0, headDim, out, 0, headDim, sums);
        } else {
            for (int j = 0; j < heads; j++) {
                sums[j] = ops.addWeightedRows(scores, j * stride, keys, values, 0, headDim, out, j * headDim,
                        headDim, sums[j]);
            }
        }
        return out;
    }
}
