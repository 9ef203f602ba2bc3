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
        // Timed reads repeat until the best stops improving: the JIT compiles the read loop in the background,
        // and reads timed before it lands run in the interpreter at a fraction of the bandwidth.
        double best = 0;
        float sink = 0;
        float[] sinks = new float[threads];
        long deadline = System.nanoTime() + 5_000_000_000L;
        try (ComputePool pool = new ComputePool(threads)) {
            int chunks = threads * 16;
            // Whole vectors a chunk: a chunk's last vector must not reach into the next chunk, or past the buffer.
            int chunkBytes = BYTES / chunks / F.vectorByteSize() * F.vectorByteSize();
            long bytesRead = (long) chunks * chunkBytes;
            int sinceImproved = 0;
            for (int rep = 0; rep < 5 || (sinceImproved < 3 && System.nanoTime() < deadline); rep++) {
                long t0 = System.nanoTime();
                pool.parallelFor(chunks, (start, end, worker) -> {
                    for (int c = start; c < end; c++) {
                        sinks[worker] += sum(buffer, c * chunkBytes, chunkBytes);
                    }
                });
                double rate = bytesRead / ((System.nanoTime() - t0) / 1e9);
                sinceImproved = rate > 1.02 * best ? 0 : sinceImproved + 1;
                best = Math.max(best, rate);
            }
        }
        for (float s : sinks) {
            sink += s;
        }
        if (Float.isNaN(sink)) {
            throw new IllegalStateException("unreachable: keeps the reads from being optimized away");
        }
        return best;
    }

    /** Sum of the floats in buffer[from, from + bytes), read a vector at a time. */
    private static float sum(ByteBuffer buffer, int from, int bytes) {
        FloatVector acc = FloatVector.zero(F);
        for (int off = from; off < from + bytes; off += F.vectorByteSize()) {
            acc = FloatVector.fromByteBuffer(F, buffer, off, ByteOrder.LITTLE_ENDIAN).add(acc);
        }
        // The loop-carried vector is never a call's receiver: see VectorOps.scaleAndMax.
        return FloatVector.zero(F).add(acc).reduceLanes(VectorOperators.ADD);
    }
}
