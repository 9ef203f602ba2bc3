package dev.stride.decoder.cuda;

import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.safetensors.DType;
import java.util.Locale;

/** Typed launches of the kernels in src/main/cuda; the tile constants mirror the .cuh files. */
final class Kernels {

    /** matmul.cuh: MM_ROWS rows and MM_WARPS * MM_OUTS outputs per block of MM_WARPS warps. */
    static final int MATMUL_ROWS = 16;
    static final int MATMUL_OUTPUTS = 16;
    private static final int MATMUL_THREADS = 128;
    /** attention.cuh: ATT_TILE keys per tile, one per thread. */
    private static final int ATTENTION_TILE = 128;
    private static final int ROW_THREADS = 256;
    private static final int ROPE_THREADS = 128;
    private static final int MOVE_THREADS = 128;
    /** Launches stay under the dynamic shared memory every GPU grants without opting in. */
    static final int MAX_SHARED_BYTES = 48 << 10;
    private static final int MAX_GRID_Y = 65_535;
    /** A matmul's outputs go in tiles of MATMUL_OUTPUTS along grid.y. */
    static final long MAX_MATMUL_OUTPUTS = (long) MAX_GRID_Y * MATMUL_OUTPUTS;

    private final Gpu gpu;

    Kernels(Gpu gpu) {
        this.gpu = gpu;
    }

    /** out[r] = table[index[r]] widened to float32, for r in [0, rows). */
    void gatherRows(DeviceMatrix table, long index, int rows, long out) {
        launch("gather_rows_" + suffix(table.dtype()), rows, 1, ROW_THREADS, 0, table.address(), index, out,
                table.cols());
    }

    void rmsNorm(long x, long weight, float eps, long out, int rows, int dim) {
        launch("rms_norm", rows, 1, ROW_THREADS, 0, x, weight, eps, out, dim);
    }

    /** out (=|+=) x times the transpose of w, for {@code rows} rows of x. */
    void matmul(DeviceMatrix w, long x, int rows, long out, boolean accumulate) {
        if (w.cols() % 8 != 0) {
            throw new IllegalArgumentException("matmul needs a column count that is a multiple of 8, got " + w.cols());
        }
        launch("matmul_" + suffix(w.dtype()), ceilDiv(rows, MATMUL_ROWS), ceilDiv(w.rows(), MATMUL_OUTPUTS),
                MATMUL_THREADS, 0, w.address(), x, out, rows, w.rows(), w.cols(), accumulate ? 1 : 0);
    }

    /** Bias (0 for none) and rotary on each row's q and k, then k and v into the row's cache slot. */
    void qkvRopeStore(long qkv, long bias, long cos, long sin, RowTable rows, int layer, ModelConfig c) {
        launch("qkv_rope_store", rows.count(), 1, ROPE_THREADS, 0, qkv, bias, cos, sin, rows.positions(),
                rows.cacheBase(), rows.capacity(), rows.slots(), layer, c.numHeads(), c.numKvHeads(), c.headDim());
    }

    void attention(long qkv, long out, RowTable rows, int layer, ModelConfig c) {
        launch("attention", rows.count(), c.numKvHeads(), ATTENTION_TILE, attentionSharedBytes(c), qkv, out,
                rows.cacheBase(), rows.capacity(), rows.first(), rows.prefixCount(), rows.extraBegin(),
                rows.extraCount(), rows.extras(), layer, c.numHeads(), c.numKvHeads(), c.headDim(),
                (float) (1.0 / Math.sqrt(c.headDim())));
    }

    /** attention.cuh's shared memory layout, in bytes. */
    static int attentionSharedBytes(ModelConfig c) {
        int group = c.numHeads() / c.numKvHeads();
        return Float.BYTES * (2 * group * c.headDim() + group * ATTENTION_TILE + ATTENTION_TILE + 3 * group + 32);
    }

    void siluGate(long gateUp, long out, int rows, int inter) {
        long blocks = ceilDiv((long) rows * inter, ROW_THREADS);
        launch("silu_gate", (int) Math.min(blocks, Integer.MAX_VALUE), 1, ROW_THREADS, 0, gateUp, out, rows, inter);
    }

    /** The k best (logit desc, id asc) ids and logits of each row; ids of -1 past the non-NaN logits. */
    void topK(long logits, int rows, int vocab, int k, long ids, long values) {
        if (k < 1 || k > vocab) {
            throw new IllegalArgumentException("top-k needs 1 <= k <= " + vocab + ", got " + k);
        }
        launch("top_k", rows, 1, ROW_THREADS, 0, logits, vocab, k, ids, values);
    }

    /** Runs {@code count} queued slot moves ((capacity, from, to) triples, one cache address each) in order. */
    void moveSlots(long cacheBase, long moves, int count, int layers, int kvDim) {
        launch("kv_move", layers, 2, MOVE_THREADS, 0, cacheBase, moves, count, kvDim);
    }

    private void launch(String kernel, int gridX, int gridY, int block, int sharedBytes, Object... args) {
        if (gridX < 1 || gridY < 1 || gridY > MAX_GRID_Y || sharedBytes > MAX_SHARED_BYTES) {
            throw new IllegalArgumentException(kernel + ": grid (" + gridX + ", " + gridY + ") with " + sharedBytes
                    + " bytes of shared memory is outside the launch limits");
        }
        gpu.launch(kernel, gridX, gridY, block, sharedBytes, args);
    }

    private static String suffix(DType dtype) {
        return dtype.name().toLowerCase(Locale.ROOT);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
