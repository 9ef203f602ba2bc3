package dev.stride.decoder.cuda;

import dev.stride.decoder.forward.PassBatch;
import java.util.Arrays;

/**
 * Packs a {@link PassBatch} into the per-row arrays the kernels read and uploads them: one int32 buffer and one
 * int64 buffer (cache addresses) per pass. Visibility is resolved here, once per row, exactly as the CPU backend
 * walks it: prefix slots from the sliding window's start, then the extra slots it does not cut.
 */
final class PassRows implements AutoCloseable {

    private static final int PER_ROW_ARRAYS = 8;

    private final Gpu gpu;
    private final CudaForward owner;
    private final int vocab;
    private final int slidingWindow;
    private final int positions;
    private final DeviceBuffer intBuffer;
    private final DeviceBuffer longBuffer;
    private int[] ints = new int[0];
    private long[] longs = new long[0];

    /**
     * @param positions rotary positions the device table holds
     */
    PassRows(Gpu gpu, CudaForward owner, int vocab, int slidingWindow, int positions) {
        this.gpu = gpu;
        this.owner = owner;
        this.vocab = vocab;
        this.slidingWindow = slidingWindow;
        this.positions = positions;
        this.intBuffer = new DeviceBuffer(gpu);
        this.longBuffer = new DeviceBuffer(gpu);
    }

    RowTable upload(PassBatch batch) {
        int n = batch.size();
        int logitRows = batch.logitRows();
        int extras = n == 0 ? 0 : batch.extraEnd(n - 1);
        int total = PER_ROW_ARRAYS * n + logitRows + extras;
        if (ints.length < total) {
            ints = Arrays.copyOf(ints, Math.max(total, 2 * ints.length));
        }
        if (longs.length < n) {
            longs = Arrays.copyOf(longs, Math.max(n, 2 * longs.length));
        }
        int logitAt = PER_ROW_ARRAYS * n;
        int extrasAt = logitAt + logitRows;
        for (int r = 0; r < n; r++) {
            CudaKvCache cache = CudaKvCache.of(batch.cache(r), r, owner);
            int token = batch.token(r);
            int position = batch.position(r);
            if (token < 0 || token >= vocab) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + vocab + ")");
            }
            if (position < 0 || position >= positions) {
                throw new IllegalArgumentException("position " + position + " is outside the model's context [0, "
                        + positions + ")");
            }
            int prefix = batch.prefixSlots(r);
            int first = slidingWindow > 0 ? Math.max(0, position - slidingWindow + 1) : 0;
            int extraBegin = batch.extraStart(r) + Math.max(0, first - prefix);
            if (prefix > cache.capacity()) {
                throw new IllegalArgumentException("row " + r + " sees " + prefix + " prefix slots of a cache of "
                        + cache.capacity());
            }
            ints[r] = token;
            ints[n + r] = position;
            ints[2 * n + r] = batch.slot(r);
            ints[3 * n + r] = cache.capacity();
            ints[4 * n + r] = first;
            ints[5 * n + r] = Math.max(0, prefix - first);
            ints[6 * n + r] = extraBegin;
            ints[7 * n + r] = Math.max(0, batch.extraEnd(r) - extraBegin);
            longs[r] = cache.address();
            for (int e = batch.extraStart(r); e < batch.extraEnd(r); e++) {
                int slot = batch.extraSlot(e);
                if (slot < 0 || slot >= cache.capacity()) {
                    throw new IllegalArgumentException("row " + r + " sees slot " + slot + " of a cache of "
                            + cache.capacity());
                }
                ints[extrasAt + e] = slot;
            }
        }
        for (int r = 0, next = logitAt; r < n; r++) {
            if (batch.wantsLogits(r)) {
                ints[next++] = r;
            }
        }
        long intBase = intBuffer.ensure(4L * Math.max(total, 1));
        long longBase = longBuffer.ensure(8L * Math.max(n, 1));
        gpu.upload(intBase, ints, total);
        gpu.upload(longBase, longs, n);
        return new RowTable(n, intBase, at(intBase, n), at(intBase, 2 * n), at(intBase, 3 * n), longBase,
                at(intBase, 4 * n), at(intBase, 5 * n), at(intBase, 6 * n), at(intBase, 7 * n),
                at(intBase, extrasAt), at(intBase, logitAt));
    }

    private static long at(long base, int index) {
        return base + 4L * index;
    }

    @Override
    public void close() {
        intBuffer.close();
        longBuffer.close();
    }
}
