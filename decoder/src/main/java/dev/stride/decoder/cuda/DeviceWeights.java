package dev.stride.decoder.cuda;

import dev.stride.decoder.model.LayerWeights;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.tensor.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A model's weights in device memory, uploaded once: matrices in their stored dtype, norms and biases in float32.
 * A tied lm_head shares the embedding's copy.
 */
final class DeviceWeights implements AutoCloseable {

    /** One block's weights; {@code qkvBias} is 0 when the architecture has none. */
    record Layer(long attnNorm, DeviceMatrix qkv, long qkvBias, DeviceMatrix output, long ffnNorm,
                 DeviceMatrix gateUp, DeviceMatrix down) {
    }

    /** Most host staging an upload uses: rows are encoded into it and copied to the device a chunk at a time. */
    private static final int STAGING_BYTES = 64 << 20;

    private final Gpu gpu;
    private final List<Long> allocations = new ArrayList<>();
    private final DeviceMatrix embedding;
    private final Layer[] layers;
    private final long finalNorm;
    private final DeviceMatrix lmHead;
    private Staging staging = new Staging(); // only while uploading

    DeviceWeights(Gpu gpu, ModelWeights weights) {
        this.gpu = gpu;
        try {
            this.embedding = matrix(weights.embedding());
            this.layers = new Layer[weights.layers().length];
            for (int i = 0; i < layers.length; i++) {
                LayerWeights w = weights.layers()[i];
                layers[i] = new Layer(vector(w.attnNorm()), matrix(w.qkv()),
                        w.qkvBias() == null ? 0 : vector(w.qkvBias()), matrix(w.output()), vector(w.ffnNorm()),
                        matrix(w.gateUp()), matrix(w.down()));
            }
            this.finalNorm = vector(weights.finalNorm());
            this.lmHead = weights.lmHead() == weights.embedding() ? embedding : matrix(weights.lmHead());
        } catch (RuntimeException e) {
            close();
            throw e;
        } finally {
            staging = null;
        }
    }

    DeviceMatrix embedding() {
        return embedding;
    }

    Layer layer(int index) {
        return layers[index];
    }

    long finalNorm() {
        return finalNorm;
    }

    DeviceMatrix lmHead() {
        return lmHead;
    }

    private DeviceMatrix matrix(WeightMatrix m) {
        DeviceMatrix uploaded = upload(gpu, m, staging);
        allocations.add(uploaded.address());
        return uploaded;
    }

    /** Uploads one matrix, in its stored dtype where that holds its values; the caller frees it. */
    static DeviceMatrix upload(Gpu gpu, WeightMatrix m) {
        return upload(gpu, m, new Staging());
    }

    /**
     * Rows are read through {@link WeightMatrix#loadRow} and encoded back, which is exact for the matrices the
     * loader maps: every F16 and BF16 value is a float32 that narrows to itself. A matrix whose values its dtype does
     * not hold (a stack of parts in different dtypes reports the first one's; q8 weights the dtype they were
     * quantized from) goes up in float32 instead, so the device multiplies by the values the CPU does.
     */
    private static DeviceMatrix upload(Gpu gpu, WeightMatrix m, Staging staging) {
        DeviceMatrix stored = upload(gpu, m, m.dtype(), staging);
        return stored != null ? stored : upload(gpu, m, DType.F32, staging);
    }

    /** {@code m} in {@code dtype}, or null, with nothing left allocated, if a value is not one of that dtype. */
    private static DeviceMatrix upload(Gpu gpu, WeightMatrix m, DType dtype, Staging staging) {
        int rowBytes = m.cols() * dtype.byteSize();
        int rowsPerChunk = Math.max(1, STAGING_BYTES / rowBytes);
        ByteBuffer chunk = staging.atLeast(Math.min(m.rows(), rowsPerChunk) * rowBytes);
        ThreadLocal<float[]> rowScratch = ThreadLocal.withInitial(() -> new float[m.cols()]);
        long address = gpu.allocate((long) m.rows() * rowBytes);
        try {
            for (int start = 0; start < m.rows(); start += rowsPerChunk) {
                int first = start;
                int count = Math.min(rowsPerChunk, m.rows() - start);
                chunk.clear();
                boolean exact = IntStream.range(0, count).parallel().allMatch(i -> {
                    float[] row = rowScratch.get();
                    m.loadRow(first + i, row);
                    return encode(row, dtype, chunk, i * rowBytes);
                });
                if (!exact) {
                    gpu.free(address);
                    return null;
                }
                chunk.position(0).limit(count * rowBytes);
                gpu.upload(address + (long) start * rowBytes, chunk);
            }
        } catch (RuntimeException e) {
            gpu.free(address);
            throw e;
        }
        return new DeviceMatrix(address, m.rows(), m.cols(), dtype);
    }

    /** A direct host buffer reused across uploads, grown on demand. */
    private static final class Staging {
        private ByteBuffer buffer = ByteBuffer.allocateDirect(0);

        ByteBuffer atLeast(int bytes) {
            if (buffer.capacity() < bytes) {
                buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
            }
            return buffer;
        }
    }

    /** Absolute puts only, so rows encode in parallel into disjoint ranges. False if a value does not round-trip. */
    private static boolean encode(float[] row, DType dtype, ByteBuffer dst, int offset) {
        switch (dtype) {
            case F32 -> {
                for (int c = 0; c < row.length; c++) {
                    dst.putFloat(offset + 4 * c, row[c]);
                }
            }
            case F16 -> {
                for (int c = 0; c < row.length; c++) {
                    short bits = HalfFloats.f32ToF16(row[c]);
                    if (!holds(row[c], HalfFloats.f16ToF32(bits))) {
                        return false;
                    }
                    dst.putShort(offset + 2 * c, bits);
                }
            }
            case BF16 -> {
                for (int c = 0; c < row.length; c++) {
                    short bits = HalfFloats.f32ToBf16(row[c]);
                    if (!holds(row[c], HalfFloats.bf16ToF32(bits))) {
                        return false;
                    }
                    dst.putShort(offset + 2 * c, bits);
                }
            }
        }
        return true;
    }

    /** Whether {@code encoded} is {@code value}; a NaN's payload does not matter. */
    private static boolean holds(float value, float encoded) {
        return Float.floatToRawIntBits(value) == Float.floatToRawIntBits(encoded) || Float.isNaN(value);
    }

    private long vector(float[] values) {
        long address = allocate(4L * values.length);
        gpu.upload(address, values, values.length);
        return address;
    }

    private long allocate(long bytes) {
        long address = gpu.allocate(bytes);
        allocations.add(address);
        return address;
    }

    @Override
    public void close() {
        for (long address : allocations) {
            gpu.free(address);
        }
        allocations.clear();
    }
}
