package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.compute.ScalarOps;
import dev.stride.decoder.forward.RopeTable;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.StackedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel against the CPU scalar oracle, on a GPU and on the emulator. Bounds, where results are not bitwise:
 * matmul |gpu - cpu| <= 1e-5 * sum_k |w_k x_k|; RMSNorm and SiLU-gate 1e-5 relative (+1e-7 absolute);
 * attention 1e-5 of the largest |value| in the row's window. Gather, rotary, cache stores, slot moves and top-k
 * are exact.
 */
class KernelParityTest {

    private static final ScalarOps SCALAR = new ScalarOps();

    static List<String> gpus() {
        return TestGpus.names().toList();
    }

    /** A stored-dtype weight matrix, as the model loader would map it. */
    private static WeightMatrix stored(DType dtype, float[] values, int rows, int cols) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> bytes.putFloat(v);
                case F16 -> bytes.putShort(HalfFloats.f32ToF16(v));
                case BF16 -> bytes.putShort(HalfFloats.f32ToBf16(v));
            }
        }
        return MappedMatrix.of(dtype, bytes.flip(), rows, cols);
    }

    private static long upload(Gpu gpu, float[] values) {
        long address = gpu.allocate(4L * values.length);
        gpu.upload(address, values, values.length);
        return address;
    }

    private static long upload(Gpu gpu, int[] values) {
        long address = gpu.allocate(4L * Math.max(1, values.length));
        gpu.upload(address, values, values.length);
        return address;
    }

    private static float[] download(Gpu gpu, long address, int count) {
        float[] values = new float[count];
        gpu.download(values, address, count);
        return values;
    }

    /** Uploads through the backend's own path, so the stored-dtype encoding is under test too. */
    private static DeviceMatrix deviceMatrix(Gpu gpu, WeightMatrix m) {
        return DeviceWeights.upload(gpu, m);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void matmulMatchesTheScalarOracleAndIsBatchInvariant(String name) {
        Random random = new Random(1);
        int outputs = 40;  // two and a half output tiles
        int cols = 264;    // one full k step and a partial one
        int rows = 37;     // three row tiles, the last partial
        try (Gpu gpu = TestGpus.open(name)) {
            for (DType dtype : DType.values()) {
                WeightMatrix w = stored(dtype, TinyModels.randomFloats(random, outputs * cols), outputs, cols);
                float[] x = TinyModels.randomFloats(random, rows * cols);
                DeviceMatrix dw = deviceMatrix(gpu, w);
                long dx = upload(gpu, x);
                long out = gpu.allocate(4L * rows * outputs);
                Kernels kernels = new Kernels(gpu);
                kernels.matmul(dw, dx, rows, out, false);
                float[] all = download(gpu, out, rows * outputs);

                float[] expected = new float[rows * outputs];
                SCALAR.matmul(w, x, rows, expected);
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < outputs; o++) {
                        double magnitude = 0;
                        for (int c = 0; c < cols; c++) {
                            magnitude += Math.abs(w.get(o, c) * x[r * cols + c]);
                        }
                        int i = r * outputs + o;
                        assertEquals(expected[i], all[i], 1e-5 * magnitude, dtype + " row " + r + " output " + o);
                    }
                }
                // Each row alone, and rows in other groupings, give the same bits as the full pass.
                for (int[] group : new int[][] {{0, 1}, {5, 1}, {36, 1}, {3, 16}, {16, 17}, {1, 33}}) {
                    int first = group[0];
                    int count = group[1];
                    kernels.matmul(dw, dx + 4L * first * cols, count, out, false);
                    assertArrayEquals(Arrays.copyOfRange(all, first * outputs, (first + count) * outputs),
                            download(gpu, out, count * outputs), dtype + " rows " + first + "+" + count);
                }
                // Accumulating adds the same dot product onto what is there.
                float[] base = TinyModels.randomFloats(random, rows * outputs);
                gpu.upload(out, base, base.length);
                kernels.matmul(dw, dx, rows, out, true);
                float[] accumulated = download(gpu, out, rows * outputs);
                for (int i = 0; i < base.length; i++) {
                    assertEquals(base[i] + all[i], accumulated[i], 0f, dtype + " accumulate " + i);
                }
                gpu.free(dw.address());
                gpu.free(dx);
                gpu.free(out);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void gatherWidensStoredRowsExactly(String name) {
        Random random = new Random(2);
        try (Gpu gpu = TestGpus.open(name)) {
            for (DType dtype : DType.values()) {
                int vocab = 19;
                int width = 40;
                WeightMatrix table = stored(dtype, TinyModels.randomFloats(random, vocab * width), vocab, width);
                DeviceMatrix device = deviceMatrix(gpu, table);
                int[] tokens = {3, 0, 18, 3, 7};
                long index = upload(gpu, tokens);
                long out = gpu.allocate(4L * tokens.length * width);
                new Kernels(gpu).gatherRows(device, index, tokens.length, out);
                float[] rows = download(gpu, out, tokens.length * width);
                float[] row = new float[width];
                for (int r = 0; r < tokens.length; r++) {
                    table.loadRow(tokens[r], row);
                    assertArrayEquals(row, Arrays.copyOfRange(rows, r * width, (r + 1) * width), dtype + " row " + r);
                }
                gpu.free(device.address());
                gpu.free(index);
                gpu.free(out);
            }
        }
    }

    /**
     * Matrices whose values their dtype does not hold: a q/k/v stack whose first part is BF16 and later ones F32
     * (a dtype() of BF16), and q8 weights quantized from BF16 (block scale times an 8-bit integer). The CPU multiplies
     * by exactly these values; the device copy must hold them too, not their BF16 roundings.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void uploadKeepsValuesTheReportedDtypeCannotHold(String name) {
        Random random = new Random(8);
        int width = 64;
        WeightMatrix mixed = new StackedMatrix(stored(DType.BF16, TinyModels.randomFloats(random, 4 * width), 4, width),
                stored(DType.F32, TinyModels.randomFloats(random, 3 * width), 3, width));
        WeightMatrix q8 = PackedQ8Matrix.quantize(stored(DType.BF16, TinyModels.randomFloats(random, 7 * width), 7,
                width));
        try (Gpu gpu = TestGpus.open(name)) {
            for (WeightMatrix m : new WeightMatrix[] {mixed, q8}) {
                DeviceMatrix device = deviceMatrix(gpu, m);
                int[] all = java.util.stream.IntStream.range(0, m.rows()).toArray();
                long index = upload(gpu, all);
                long out = gpu.allocate(4L * m.rows() * width);
                new Kernels(gpu).gatherRows(device, index, m.rows(), out);
                float[] rows = download(gpu, out, m.rows() * width);
                float[] row = new float[width];
                for (int r = 0; r < m.rows(); r++) {
                    m.loadRow(r, row);
                    assertArrayEquals(row, Arrays.copyOfRange(rows, r * width, (r + 1) * width),
                            m.getClass().getSimpleName() + " row " + r);
                }
                gpu.free(device.address());
                gpu.free(index);
                gpu.free(out);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void rmsNormAndSiluGateMatchTheScalarOracle(String name) {
        Random random = new Random(3);
        int rows = 5;
        int dim = 300;
        try (Gpu gpu = TestGpus.open(name)) {
            float[] x = TinyModels.randomFloats(random, rows * dim);
            float[] weight = TinyModels.vector(random, dim, 1f, 0.2f);
            long dx = upload(gpu, x);
            long dw = upload(gpu, weight);
            long out = gpu.allocate(4L * rows * dim);
            Kernels kernels = new Kernels(gpu);
            kernels.rmsNorm(dx, dw, 1e-5f, out, rows, dim);
            float[] normed = download(gpu, out, rows * dim);
            float[] expected = new float[rows * dim];
            for (int r = 0; r < rows; r++) {
                SCALAR.rmsNorm(x, r * dim, weight, 1e-5f, expected, r * dim, dim);
            }
            assertClose(expected, normed, 1e-5, "rms norm");

            int inter = dim / 2; // x read as (rows, 2 * inter): gate then up
            kernels.siluGate(dx, out, rows, inter);
            float[] act = download(gpu, out, rows * inter);
            float[] reference = new float[rows * inter];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < inter; i++) {
                    float gate = x[r * dim + i];
                    reference[r * inter + i] = gate / (1f + (float) Math.exp(-gate)) * x[r * dim + inter + i];
                }
            }
            assertClose(reference, act, 1e-5, "silu gate");
            gpu.free(dx);
            gpu.free(dw);
            gpu.free(out);
        }
    }

    private static void assertClose(float[] expected, float[] actual, double relative, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * Math.abs(expected[i]) + 1e-7, what + " " + i);
        }
    }

    /** A cache of {@code capacity} slots for {@code layers} layers filled with random keys and values. */
    private static float[] randomCache(Random random, int layers, int capacity, int kvDim) {
        return TinyModels.randomFloats(random, 2 * layers * capacity * kvDim);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void qkvRopeStoreRotatesLikeTheCpuAndFillsTheSlot(String name) {
        Random random = new Random(4);
        ModelConfig c = TinyModels.config(Architecture.QWEN2, 48, 6, 2, 2, 31, 64, 0);
        int width = c.qDim() + 2 * c.kvDim();
        int layers = c.numLayers();
        int capacity = 20;
        int[] positions = {0, 7, 19, 63};
        int[] slots = {0, 7, 19, 3};
        int layer = 1;
        try (Gpu gpu = TestGpus.open(name)) {
            float[] qkv = TinyModels.randomFloats(random, positions.length * width);
            float[] bias = TinyModels.randomFloats(random, width);
            float[][] rope = new RopeTable(c).table(c.maxPositions());
            long dq = upload(gpu, qkv);
            long db = upload(gpu, bias);
            long cos = upload(gpu, rope[0]);
            long sin = upload(gpu, rope[1]);
            long cache = upload(gpu, new float[2 * layers * capacity * c.kvDim()]);
            long bases = gpu.allocate(8L * positions.length);
            gpu.upload(bases, new long[] {cache, cache, cache, cache}, positions.length);
            RowTable table = new RowTable(positions.length, 0, upload(gpu, positions), upload(gpu, slots),
                    upload(gpu, new int[] {capacity, capacity, capacity, capacity}), bases, 0, 0, 0, 0, 0, 0);
            new Kernels(gpu).qkvRopeStore(dq, db, cos, sin, table, layer, c);
            float[] rotated = download(gpu, dq, qkv.length);
            float[] stored = download(gpu, cache, 2 * layers * capacity * c.kvDim());

            int half = c.headDim() / 2;
            for (int r = 0; r < positions.length; r++) {
                float[] row = new float[width];
                for (int i = 0; i < width; i++) {
                    row[i] = qkv[r * width + i] + bias[i];
                }
                for (int h = 0; h < c.numHeads() + c.numKvHeads(); h++) {
                    for (int i = 0; i < half; i++) {
                        int e = h * c.headDim() + i;
                        float cs = rope[0][positions[r] * half + i];
                        float sn = rope[1][positions[r] * half + i];
                        float a = row[e];
                        float b = row[e + half];
                        row[e] = a * cs - b * sn;
                        row[e + half] = b * cs + a * sn;
                    }
                }
                assertArrayEquals(Arrays.copyOf(row, c.qDim()),
                        Arrays.copyOfRange(rotated, r * width, r * width + c.qDim()), "q of row " + r);
                int keys = ((2 * layer) * capacity + slots[r]) * c.kvDim();
                int values = ((2 * layer + 1) * capacity + slots[r]) * c.kvDim();
                assertArrayEquals(Arrays.copyOfRange(row, c.qDim(), c.qDim() + c.kvDim()),
                        Arrays.copyOfRange(stored, keys, keys + c.kvDim()), "key of row " + r);
                assertArrayEquals(Arrays.copyOfRange(row, c.qDim() + c.kvDim(), width),
                        Arrays.copyOfRange(stored, values, values + c.kvDim()), "value of row " + r);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void attentionMatchesTheScalarOracle(String name) {
        Random random = new Random(5);
        // 3 q heads per kv head; windows longer than a 128-key tile exercise the running rescale.
        ModelConfig c = TinyModels.config(Architecture.LLAMA, 48, 6, 2, 2, 31, 512, 0);
        int layers = c.numLayers();
        int kvDim = c.kvDim();
        int qDim = c.qDim();
        int width = qDim + 2 * kvDim;
        int capacity = 300;
        int layer = 1;
        // (first, prefixCount, extras...): causal rows, a sliding window, tree rows seeing scattered extra slots.
        int[][] rows = {
            {0, 1}, {0, 129}, {0, 260}, {40, 200}, {0, 250, 280, 262, 299}, {0, 0, 255}, {100, 150, 270, 271},
        };
        try (Gpu gpu = TestGpus.open(name)) {
            float[] qkv = TinyModels.randomFloats(random, rows.length * width);
            float[] cache = randomCache(random, layers, capacity, kvDim);
            long dq = upload(gpu, qkv);
            long dc = upload(gpu, cache);
            long out = gpu.allocate(4L * rows.length * qDim);
            int n = rows.length;
            int[] first = new int[n];
            int[] prefix = new int[n];
            int[] extraBegin = new int[n];
            int[] extraCount = new int[n];
            List<Integer> extras = new ArrayList<>();
            long[] bases = new long[n];
            int[] capacities = new int[n];
            for (int r = 0; r < n; r++) {
                first[r] = rows[r][0];
                prefix[r] = rows[r][1];
                extraBegin[r] = extras.size();
                extraCount[r] = rows[r].length - 2;
                for (int e = 2; e < rows[r].length; e++) {
                    extras.add(rows[r][e]);
                }
                bases[r] = dc;
                capacities[r] = capacity;
            }
            long dBases = gpu.allocate(8L * n);
            gpu.upload(dBases, bases, n);
            RowTable table = new RowTable(n, 0, 0, 0, upload(gpu, capacities), dBases, upload(gpu, first),
                    upload(gpu, prefix), upload(gpu, extraBegin), upload(gpu, extraCount),
                    upload(gpu, extras.stream().mapToInt(Integer::intValue).toArray()), 0);
            new Kernels(gpu).attention(dq, out, table, layer, c);
            float[] result = download(gpu, out, n * qDim);

            int group = c.numHeads() / c.numKvHeads();
            int hd = c.headDim();
            double scale = 1.0 / Math.sqrt(hd);
            for (int r = 0; r < n; r++) {
                List<Integer> visible = new ArrayList<>();
                for (int s = first[r]; s < first[r] + prefix[r]; s++) {
                    visible.add(s);
                }
                for (int e = 2; e < rows[r].length; e++) {
                    visible.add(rows[r][e]);
                }
                for (int h = 0; h < c.numHeads(); h++) {
                    int kvHead = h / group;
                    double[] scores = new double[visible.size()];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < scores.length; j++) {
                        int key = ((2 * layer) * capacity + visible.get(j)) * kvDim + kvHead * hd;
                        for (int d = 0; d < hd; d++) {
                            scores[j] += (double) qkv[r * width + h * hd + d] * cache[key + d];
                        }
                        scores[j] *= scale;
                        max = Math.max(max, scores[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < scores.length; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int d = 0; d < hd; d++) {
                        double value = 0;
                        double largest = 0;
                        for (int j = 0; j < scores.length; j++) {
                            float v = cache[((2 * layer + 1) * capacity + visible.get(j)) * kvDim + kvHead * hd + d];
                            value += scores[j] * v;
                            largest = Math.max(largest, Math.abs(v));
                        }
                        assertEquals(value / sum, result[r * qDim + h * hd + d], 1e-5 * largest,
                                "row " + r + " head " + h + " dim " + d);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void topKRanksLikeTheCpuSampler(String name) {
        Random random = new Random(6);
        int vocab = 1000;
        int rows = 4;
        int k = 40;
        float[] logits = new float[rows * vocab];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = random.nextInt(50) / 4f; // many ties
        }
        logits[vocab + 3] = Float.NaN;
        logits[2 * vocab + 999] = Float.POSITIVE_INFINITY;
        Arrays.fill(logits, 3 * vocab, 4 * vocab, Float.NEGATIVE_INFINITY);
        logits[3 * vocab + 500] = 0f;
        try (Gpu gpu = TestGpus.open(name)) {
            long device = upload(gpu, logits);
            long ids = gpu.allocate(4L * rows * k);
            long values = gpu.allocate(4L * rows * k);
            new Kernels(gpu).topK(device, rows, vocab, k, ids, values);
            int[] gotIds = new int[rows * k];
            gpu.download(gotIds, ids, rows * k);
            float[] gotValues = download(gpu, values, rows * k);
            for (int r = 0; r < rows; r++) {
                int row = r;
                int[] expected = java.util.stream.IntStream.range(0, vocab)
                        .filter(i -> !Float.isNaN(logits[row * vocab + i])).boxed()
                        .sorted(Comparator.<Integer>comparingDouble(i -> -logits[row * vocab + i])
                                .thenComparingInt(i -> i))
                        .limit(k).mapToInt(Integer::intValue).toArray();
                assertArrayEquals(expected, Arrays.copyOfRange(gotIds, r * k, (r + 1) * k), "row " + r);
                for (int j = 0; j < k; j++) {
                    assertEquals(logits[r * vocab + expected[j]], gotValues[r * k + j], 0f);
                }
            }
            assertTrue(gotIds[3 * k] == 500, "the only finite logit of row 3 ranks first");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gpus")
    void slotMovesRunInOrderInEveryLayer(String name) {
        Random random = new Random(7);
        int layers = 3;
        int kvDim = 24;
        int[] capacities = {10, 6};
        try (Gpu gpu = TestGpus.open(name)) {
            float[][] caches = new float[2][];
            long[] addresses = new long[2];
            for (int i = 0; i < 2; i++) {
                caches[i] = randomCache(random, layers, capacities[i], kvDim);
                addresses[i] = upload(gpu, caches[i]);
            }
            // (cache, from, to): the second move of cache 0 reads what the first wrote.
            int[][] moves = {{0, 7, 4}, {1, 5, 2}, {0, 4, 1}, {0, 9, 5}};
            long[] bases = new long[moves.length];
            int[] triples = new int[3 * moves.length];
            for (int m = 0; m < moves.length; m++) {
                bases[m] = addresses[moves[m][0]];
                triples[3 * m] = capacities[moves[m][0]];
                triples[3 * m + 1] = moves[m][1];
                triples[3 * m + 2] = moves[m][2];
                float[] cache = caches[moves[m][0]];
                int capacity = capacities[moves[m][0]];
                for (int plane = 0; plane < 2 * layers; plane++) {
                    System.arraycopy(cache, (plane * capacity + moves[m][1]) * kvDim, cache,
                            (plane * capacity + moves[m][2]) * kvDim, kvDim);
                }
            }
            long dBases = gpu.allocate(8L * moves.length);
            gpu.upload(dBases, bases, moves.length);
            new Kernels(gpu).moveSlots(dBases, upload(gpu, triples), moves.length, layers, kvDim);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(caches[i], download(gpu, addresses[i], caches[i].length), "cache " + i);
            }
        }
    }
}
