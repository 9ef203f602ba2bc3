package dev.stride.decoder.cuda;

import java.util.Arrays;

/**
 * Slot moves queued by the caches of one backend since its last pass, run in order as one launch. Moves of a cache
 * that is freed first are dropped: nothing will read them.
 */
final class SlotMoves implements AutoCloseable {

    private final Gpu gpu;
    private final Kernels kernels;
    private final int layers;
    private final int kvDim;
    private final DeviceBuffer deviceBases;
    private final DeviceBuffer deviceMoves;
    private CudaKvCache[] caches = new CudaKvCache[16];
    private long[] bases = new long[16];
    private int[] moves = new int[3 * 16]; // (capacity, from, to) per move
    private int count;

    SlotMoves(Gpu gpu, Kernels kernels, int layers, int kvDim) {
        this.gpu = gpu;
        this.kernels = kernels;
        this.layers = layers;
        this.kvDim = kvDim;
        this.deviceBases = new DeviceBuffer(gpu);
        this.deviceMoves = new DeviceBuffer(gpu);
    }

    void add(CudaKvCache cache, int from, int to) {
        if (count == caches.length) {
            caches = Arrays.copyOf(caches, 2 * count);
            bases = Arrays.copyOf(bases, 2 * count);
            moves = Arrays.copyOf(moves, 6 * count);
        }
        caches[count] = cache;
        bases[count] = cache.address();
        moves[3 * count] = cache.capacity();
        moves[3 * count + 1] = from;
        moves[3 * count + 2] = to;
        count++;
    }

    void drop(CudaKvCache cache) {
        int kept = 0;
        for (int i = 0; i < count; i++) {
            if (caches[i] != cache) {
                caches[kept] = caches[i];
                bases[kept] = bases[i];
                System.arraycopy(moves, 3 * i, moves, 3 * kept, 3);
                kept++;
            }
        }
        Arrays.fill(caches, kept, count, null);
        count = kept;
    }

    void flush() {
        if (count == 0) {
            return;
        }
        long baseAddress = deviceBases.ensure(8L * count);
        long moveAddress = deviceMoves.ensure(12L * count);
        gpu.upload(baseAddress, bases, count);
        gpu.upload(moveAddress, moves, 3 * count);
        kernels.moveSlots(baseAddress, moveAddress, count, layers, kvDim);
        Arrays.fill(caches, 0, count, null);
        count = 0;
    }

    @Override
    public void close() {
        deviceBases.close();
        deviceMoves.close();
    }
}
