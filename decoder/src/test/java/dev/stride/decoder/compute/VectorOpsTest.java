package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.tensor.MappedMatrix;
import dev.stride.decoder.tensor.PackedHalfMatrix;
import dev.stride.decoder.tensor.PackedMatrix;
import dev.stride.decoder.tensor.StackedMatrix;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Every vector kernel against the scalar oracle, on random shapes and every stored dtype. */
class VectorOpsTest {

    private static final ScalarOps ORACLE = new ScalarOps();

    static WeightMatrix randomMatrix(Random random, DType dtype, int rows, int cols) {
        ByteBuffer bytes = ByteBuffer.allocateDirect(rows * cols * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < rows * cols; i++) {
            float v = (float) random.nextGaussian() * 0.5f;
            switch (dtype) {
                case F32 -> bytes.putFloat(v);
                case F16 -> bytes.putShort(HalfFloats.f32ToF16(v));
                case BF16 -> bytes.putShort(HalfFloats.f32ToBf16(v));
            }
        }
        return MappedMatrix.of(dtype, bytes.flip(), rows, cols);
    }

    @Test
    void matmulMatchesOracleOnRandomShapes() {
        Random random = new Random(1);
        try (ComputePool pool = new ComputePool(3)) {
            VectorOps ops = new VectorOps(pool);
            for (int trial = 0; trial < 60; trial++) {
                DType dtype = DType.values()[trial % 3];
                int rows = 1 + random.nextInt(300);
                int cols = 1 + random.nextInt(200);
                int n = 1 + random.nextInt(40);
                WeightMatrix stored = randomMatrix(random, dtype, rows, cols);
                WeightMatrix w = layout(stored, (trial / 3) % 3);
                float[] x = TinyModels.randomFloats(random, n * cols);
                float[] expected = new float[n * rows];
                float[] actual = new float[n * rows];
                ORACLE.matmul(w, x, n, expected);
                ops.matmul(w, x, n, actual);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-4f * (1 + Math.abs(expected[i])) * Math.sqrt(cols),
                            w.getClass().getSimpleName() + " " + dtype + " (" + rows + ", " + cols + ") n=" + n
                                    + " element " + i);
                }
            }
        }
    }

    @Test
    void halfPrecisionRowsWidenExactlyIncludingSpecialValues() {
        int cols = (1 << 16) + 3; // every bit pattern (infinities, NaN payloads, subnormals), then an odd tail
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            ByteBuffer bytes = ByteBuffer.allocate(cols * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < cols; i++) {
                bytes.putShort((short) i);
            }
            WeightMatrix w = MappedMatrix.of(dtype, bytes.flip(), 1, cols);
            float[] row = new float[cols];
            w.loadRow(0, row);
            for (int i = 0; i < cols; i++) {
                short bits = bytes.getShort(2 * i);
                float expected = dtype == DType.F16 ? HalfFloats.f16ToF32(bits) : HalfFloats.bf16ToF32(bits);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(row[i]),
                        dtype + " bits 0x" + Integer.toHexString(bits & 0xffff));
            }
        }
    }

    /** Variant 0: as stored (streamed); 1: float32 panels; 2: BF16 panels where the dtype allows, else as stored. */
    static WeightMatrix layout(WeightMatrix stored, int variant) {
        return switch (variant) {
            case 1 -> PackedMatrix.pack(stored);
            case 2 -> stored.dtype() != DType.F32 ? PackedHalfMatrix.pack(stored) : stored;
            default -> stored;
        };
    }

    @Test
    void packedMatrixHoldsExactlyTheStoredValues() {
        Random random = new Random(4);
        for (int trial = 0; trial < 18; trial++) {
            DType dtype = DType.values()[trial % 3];
            int rows = 1 + random.nextInt(70);
            int cols = 1 + random.nextInt(50);
            WeightMatrix stored = randomMatrix(random, dtype, rows, cols);
            WeightMatrix packed = dtype != DType.F32 && trial % 2 == 0
                    ? PackedHalfMatrix.pack(stored) : PackedMatrix.pack(stored);
            assertEquals(rows, packed.rows());
            assertEquals(cols, packed.cols());
            assertEquals(dtype, packed.dtype());
            float[] expected = new float[cols];
            float[] actual = new float[cols + 2];
            for (int r = 0; r < rows; r++) {
                stored.loadRow(r, expected);
                packed.loadRow(r, actual, 2);
                for (int c = 0; c < cols; c++) {
                    assertEquals(Float.floatToRawIntBits(expected[c]), Float.floatToRawIntBits(actual[c + 2]));
                    assertEquals(Float.floatToRawIntBits(expected[c]), Float.floatToRawIntBits(packed.get(r, c)));
                }
            }
        }
    }

    @Test
    void stackedMatrixIsTheConcatenationOfItsParts() {
        Random random = new Random(2);
        WeightMatrix a = randomMatrix(random, DType.F16, 5, 33);
        WeightMatrix b = randomMatrix(random, DType.F16, 7, 33);
        StackedMatrix stacked = new StackedMatrix(a, b);
        assertEquals(12, stacked.rows());
        for (int c = 0; c < 33; c++) {
            assertEquals(a.get(4, c), stacked.get(4, c));
            assertEquals(b.get(0, c), stacked.get(5, c));
            assertEquals(b.get(6, c), stacked.get(11, c));
        }
    }

    @Test
    void rmsNormMatchesOracle() {
        Random random = new Random(3);
        try (ComputePool pool = new ComputePool(1)) {
            VectorOps ops = new VectorOps(pool);
            for (int trial = 0; trial < 20; trial++) {
                int dim = 1 + random.nextInt(300);
                float[] x = TinyModels.randomFloats(random, dim + 3);
                float[] weight = TinyModels.randomFloats(random, dim);
                float[] expected = new float[dim + 1];
                float[] actual = new float[dim + 1];
                ORACLE.rmsNorm(x, 3, weight, 1e-5f, expected, 1, dim);
                ops.rmsNorm(x, 3, weight, 1e-5f, actual, 1, dim);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], actual[i], 1e-5f * (1 + Math.abs(expected[i])), "rmsNorm dim " + dim);
                }
            }
        }
    }

    @Test
    void weightedRowsMatchOracleAndGiveTheSameBitsInOneCallOrRowByRow() {
        Random random = new Random(4);
        try (ComputePool pool = new ComputePool(1)) {
            VectorOps ops = new VectorOps(pool);
            for (int trial = 0; trial < 40; trial++) {
                int len = 1 + random.nextInt(150);
                int stride = len + random.nextInt(20);
                int count = 1 + random.nextInt(60);
                float[] p = TinyModels.randomFloats(random, count + 3);
                float[] rows = TinyModels.randomFloats(random, 5 + count * stride);
                float[] start = TinyModels.randomFloats(random, len + 2);
                float[] expected = start.clone();
                float[] together = start.clone();
                float[] oneByOne = start.clone();
                float startSum = random.nextFloat();
                float expectedSum = ORACLE.addWeightedRows(p, 3, count, rows, 5, stride, expected, 2, len, startSum);
                float sumTogether = ops.addWeightedRows(p, 3, count, rows, 5, stride, together, 2, len, startSum);
                float sumOneByOne = startSum;
                for (int i = 0; i < count; i++) {
                    sumOneByOne = ops.addWeightedRows(p, 3 + i, 1, rows, 5 + i * stride, stride, oneByOne, 2, len,
                            sumOneByOne);
                }
                assertArrayEquals(oneByOne, together, "len " + len + ", " + count + " rows");
                assertEquals(expectedSum, sumTogether, "the weights summed one by one in order: exact");
                assertEquals(expectedSum, sumOneByOne);
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(expected[i], together[i], 1e-5f * (1 + Math.abs(expected[i])) * count,
                            "len " + len + ", element " + i);
                }
            }
        }
    }

    /** The kernels for the heads of a key/value group together: each query gets the bits it gets alone. */
    @Test
    void severalQueriesAtOnceGiveEachQueryItsOwnBits() {
        Random random = new Random(8);
        int block = FloatVector.SPECIES_PREFERRED.length();
        try (ComputePool pool = new ComputePool(1)) {
            VectorOps ops = new VectorOps(pool);
            for (int trial = 0; trial < 60; trial++) {
                int queries = 1 + random.nextInt(8);
                int headDim = 1 + random.nextInt(80);
                float[] q = TinyModels.randomFloats(random, 2 + queries * headDim);
                float[] keys = TinyModels.randomFloats(random, 3 + headDim * block);
                int stride = block + random.nextInt(5);
                float[] together = new float[1 + queries * stride];
                float[] alone = new float[1 + queries * stride];
                ops.keyBlockScores(q, 2, queries, keys, 3, headDim, block, together, 1, stride);
                for (int j = 0; j < queries; j++) {
                    ops.keyBlockScores(q, 2 + j * headDim, keys, 3, headDim, block, alone, 1 + j * stride);
                }
                assertArrayEquals(alone, together, queries + " queries' scores, head dim " + headDim);

                int count = 1 + random.nextInt(40);
                int len = 1 + random.nextInt(80);
                int rowStride = len + random.nextInt(9);
                int pStride = count + random.nextInt(6);
                float[] p = TinyModels.randomFloats(random, 3 + queries * pStride);
                float[] rows = TinyModels.randomFloats(random, 5 + count * rowStride);
                float[] out = TinyModels.randomFloats(random, 2 + queries * len);
                float[] sums = TinyModels.randomFloats(random, queries);
                float[] outAlone = out.clone();
                float[] sumsAlone = sums.clone();
                ops.addWeightedRows(p, 3, pStride, queries, count, rows, 5, rowStride, out, 2, len, sums);
                for (int j = 0; j < queries; j++) {
                    sumsAlone[j] = ops.addWeightedRows(p, 3 + j * pStride, count, rows, 5, rowStride, outAlone,
                            2 + j * len, len, sumsAlone[j]);
                }
                assertArrayEquals(outAlone, out, queries + " queries' weighted rows, length " + len);
                assertArrayEquals(sumsAlone, sums, queries + " queries' weight sums");
            }
        }
    }

    @Test
    void attentionAndActivationOpsMatchOracle() {
        Random random = new Random(6);
        int block = FloatVector.SPECIES_PREFERRED.length();
        try (ComputePool pool = new ComputePool(1)) {
            VectorOps ops = new VectorOps(pool);
            for (int trial = 0; trial < 20; trial++) {
                int headDim = 1 + random.nextInt(70);
                float[] q = TinyModels.randomFloats(random, headDim + 2);
                float[] keys = TinyModels.randomFloats(random, 3 + headDim * block);
                float[] expected = new float[block + 1];
                float[] actual = new float[block + 1];
                ORACLE.keyBlockScores(q, 2, keys, 3, headDim, block, expected, 1);
                ops.keyBlockScores(q, 2, keys, 3, headDim, block, actual, 1);
                assertClose(expected, actual, 1e-4f * (float) Math.sqrt(headDim), "key block scores, dim " + headDim);

                int len = 1 + random.nextInt(90);
                float[] x = TinyModels.randomFloats(random, len + 4);
                float max = 0f;
                for (float v : x) {
                    max = Math.max(max, v);
                }
                float[] s1 = x.clone();
                float[] s2 = x.clone();
                assertEquals(ORACLE.scaleAndMax(s1, 3, len, 0.37f), ops.scaleAndMax(s2, 3, len, 0.37f),
                        "scaled maximum, length " + len);
                assertArrayEquals(s1, s2, "scaled scores, length " + len);
                assertEquals(Float.NEGATIVE_INFINITY, ops.scaleAndMax(s2, 3, 0, 0.37f), "empty range");

                float[] e1 = Arrays.copyOf(x, len + 4 + 16); // 16 floats of scratch after the range
                float[] e2 = e1.clone();
                ORACLE.expBelow(max, e1, 4, len);
                ops.expBelow(max, e2, 4, len);
                assertClose(Arrays.copyOf(e1, len + 4), Arrays.copyOf(e2, len + 4), 1e-6f, "exp below, length " + len);

                int n = 1 + random.nextInt(3);
                float[] gateUp = TinyModels.randomFloats(random, n * 2 * len);
                float[] g1 = new float[n * len];
                float[] g2 = new float[n * len];
                ORACLE.siluGate(gateUp, len, n, g1);
                ops.siluGate(gateUp, len, n, g2);
                assertClose(g1, g2, 1e-6f, "silu gate, width " + len);

                float[] z = TinyModels.randomFloats(random, n * len);
                float[] bias = TinyModels.randomFloats(random, len);
                float[] r1 = TinyModels.randomFloats(random, n * len);
                float[] r2 = r1.clone();
                ORACLE.addSiluResidual(z, bias, r1, n, len);
                ops.addSiluResidual(z, bias, r2, n, len);
                assertClose(r1, r2, 1e-6f, "silu residual, width " + len);
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance * (1 + Math.abs(expected[i])), what + " element " + i);
        }
    }
}
