package dev.stride.decoder.bench;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * The decode-step matmul: a (size, size) weight matrix in its stored dtype against n input rows. n = 1 is plain
 * decoding (bandwidth bound); larger n is a tree pass, where the same weight bytes serve every row.
 * {@link KernelBenchmarks} turns the times into GFLOP/s and GB/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=10000"})
public class MatmulBenchmark {

    @Param({"BF16", "F16", "F32"})
    public String dtype;

    @Param({"1", "4", "16", "64"})
    public int rows;

    @Param({"4096"})
    public int size;

    /**
     * streamed: read in the stored dtype every pass; packed: float32 panels; packed-bf16 / packed-f16: BF16 / F16
     * panels (only with that dtype, so not in the default grid: {@code -p dtype=BF16 -p layout=packed-bf16}); q8:
     * 8-bit blocks quantized from the stored values ({@code -p layout=q8}).
     */
    @Param({"streamed", "packed"})
    public String layout;

    @Param({"0"})
    public int threads;

    private ComputePool pool;
    private VectorOps ops;
    private WeightMatrix weights;
    private float[] x;
    private float[] out;

    @Setup(Level.Trial)
    public void setUp() {
        DType type = DType.valueOf(dtype);
        ByteBuffer bytes = ByteBuffer.allocateDirect(size * size * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < size * size; i++) {
            float v = (float) (random.nextDouble() - 0.5);
            switch (type) {
                case F32 -> bytes.putFloat(v);
                case F16 -> bytes.putShort(HalfFloats.f32ToF16(v));
                case BF16 -> bytes.putShort(HalfFloats.f32ToBf16(v));
            }
        }
        WeightMatrix stored = MappedMatrix.of(type, bytes.flip(), size, size);
        weights = switch (layout) {
            case "packed" -> PackedMatrix.pack(stored);
            case "packed-bf16", "packed-f16" -> PackedHalfMatrix.pack(stored);
            case "q8" -> PackedQ8Matrix.quantize(stored);
            default -> stored;
        };
        x = new float[rows * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        out = new float[rows * size];
        pool = new ComputePool(threads > 0 ? threads : ComputePool.defaultThreads());
        ops = new VectorOps(pool);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] matmul() {
        ops.matmul(weights, x, rows, out);
        return out;
    }
}
