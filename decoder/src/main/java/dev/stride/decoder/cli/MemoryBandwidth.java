package dev.stride.decoder.cli;

import dev.stride.decoder.compute.ComputePool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Measures sustained read bandwidth the way decoding reads weights: vector loads streamed by every thread. */
final class MemoryBandwidth {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Far larger than any last-level cache, so reads come from DRAM. */
    private static final int BYTES = 512 << 20;

    private MemoryBandwidth() {
    }

    static double measureBytesPerSecond(int threads) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < BYTES; i += 4096) {
            buffer.put(i, (byte) 1);
        }
        double best = 0;
        float[] sink = new float[threads];
        try (ComputePool pool = new ComputePool(threads)) {
            int chunks = threads * 16;
            int chunkBytes = BYTES / chunks;
            for (int rep = 0; rep < 5; rep++) {
                long t0 = System.nanoTime();
                pool.parallelFor(chunks, (start, end, worker) -> {
                    FloatVector acc = FloatVector.zero(F);
                    for (int c = start; c < end; c++) {
                        int base = c * chunkBytes;
                        for (int off = 0; off < chunkBytes; off += F.vectorByteSize()) {
                            acc = acc.add(FloatVector.fromByteBuffer(F, buffer, base + off, ByteOrder.LITTLE_ENDIAN));
                        }
                    }
                    sink[worker] += acc.reduceLanes(VectorOperators.ADD);
                });
                best = Math.max(best, BYTES / ((System.nanoTime() - t0) / 1e9));
            }
        }
        if (Float.isNaN(sink[0])) {
            throw new IllegalStateException("unreachable: keeps the reads from being optimized away");
        }
        return best;
    }
}
