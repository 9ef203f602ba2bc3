package dev.stride.decoder.forward;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.TensorOps;
import dev.stride.decoder.model.LayerWeights;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import java.util.Arrays;

/**
 * The forward pass of a Llama-family decoder over a {@link PassBatch}: embed, then per layer RMSNorm, q/k/v,
 * rotary, attention, residual, RMSNorm, SiLU-gated MLP, residual; then the final norm and the logits of the rows
 * that ask for them. Every row's result depends only on its own token, position and visible keys: never on the
 * other rows of the pass or on the thread count. The CPU {@link ForwardBackend}.
 */
public final class Transformer implements ForwardBackend {

    private final ModelConfig config;
    private final ModelWeights weights;
    private final TensorOps ops;
    private final ComputePool pool;
    private final RopeTable rope;
    private final int hidden;
    private final int qDim;
    private final int kvDim;
    private final int headDim;
    private final int groupSize;
    private final float attentionScale;

    // Activations, (rows, width); grown to the largest pass seen, never shrunk.
    private int capacityRows;
    private float[] x;       // (rows, hidden) residual stream
    private float[] xNorm;   // (rows, hidden)
    private float[] qkv;     // (rows, qDim + 2 * kvDim)
    private float[] attnOut; // (rows, qDim)
    private float[] proj;    // (rows, hidden)
    private float[] gateUp;  // (rows, 2 * intermediate)
    private float[] act;     // (rows, intermediate)
    private float[] logitInput; // (logit rows, hidden)
    private float[][] scores = new float[0][]; // (threads, group size * scoreStride), see ensureScores
    private int scoreStride;                    // floats of one query's scores
    private float[][] weightSums = new float[0][]; // (threads, group size): softmax denominators
    private final AttentionItems attention = new AttentionItems();

    public Transformer(ModelConfig config, ModelWeights weights, TensorOps ops, ComputePool pool) {
        this.config = config;
        this.weights = weights;
        this.ops = ops;
        this.pool = pool;
        this.rope = new RopeTable(config);
        this.hidden = config.hiddenSize();
        this.qDim = config.qDim();
        this.kvDim = config.kvDim();
        this.headDim = config.headDim();
        this.groupSize = config.numHeads() / config.numKvHeads();
        this.attentionScale = (float) (1.0 / Math.sqrt(headDim));
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public KvCacheBudget kvCacheBudget(long requestedBytes) {
        return new KvCacheBudget(config, HeapRoom.forKvCaches(requestedBytes));
    }

    @Override
    public String device() {
        return "cpu (" + pool.threads() + " threads)";
    }

    /** The compute pool and weights belong to the caller. */
    @Override
    public void close() {
    }

    /**
     * Runs one pass. Synchronized: threads sharing a model run one pass at a time, each pass using every compute
     * thread; results go to the caller's holder, so they stay valid after the next thread's pass.
     */
    @Override
    public synchronized void forward(PassBatch batch, PassOutput out) {
        int n = batch.size();
        ensureCapacity(n);
        out.ensure(n, batch.logitRows());
        int maxPosition = 0;
        int maxVisible = 0;
        long visibleSlots = 0; // over the pass's rows
        for (int r = 0; r < n; r++) {
            maxPosition = Math.max(maxPosition, batch.position(r));
            int visible = batch.prefixSlots(r) + batch.extraEnd(r) - batch.extraStart(r);
            maxVisible = Math.max(maxVisible, visible);
            visibleSlots += visible;
            weights.embedding().loadRow(checkedToken(batch.token(r)), x, r * hidden);
        }
        rope.ensure(maxPosition + 1);
        ensureScores(maxVisible);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            attentionBlock(batch, layer, weights.layers()[layer], visibleSlots);
            mlpBlock(n, weights.layers()[layer]);
        }
        for (int r = 0; r < n; r++) {
            ops.rmsNorm(x, r * hidden, weights.finalNorm(), config.rmsNormEps(), out.hidden(), r * hidden, hidden);
        }
        int logitRows = 0;
        for (int r = 0; r < n; r++) {
            if (batch.wantsLogits(r)) {
                System.arraycopy(out.hidden(), r * hidden, logitInput, logitRows++ * hidden, hidden);
            }
        }
        if (logitRows > 0) {
            ops.matmul(weights.lmHead(), logitInput, logitRows, out.logits());
        }
    }

    private int checkedToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, "
                    + config.vocabSize() + ")");
        }
        return token;
    }

    private void attentionBlock(PassBatch batch, int layer, LayerWeights w, long visibleSlots) {
        int n = batch.size();
        for (int r = 0; r < n; r++) {
            ops.rmsNorm(x, r * hidden, w.attnNorm(), config.rmsNormEps(), xNorm, r * hidden, hidden);
        }
        ops.matmul(w.qkv(), xNorm, n, qkv);
        int qkvWidth = qDim + 2 * kvDim;
        for (int r = 0; r < n; r++) {
            int base = r * qkvWidth;
            if (w.qkvBias() != null) {
                for (int i = 0; i < qkvWidth; i++) {
                    qkv[base + i] += w.qkvBias()[i];
                }
            }
            int position = batch.position(r);
            for (int h = 0; h < config.numHeads(); h++) {
                rope.rotate(qkv, base + h * headDim, position);
            }
            for (int h = 0; h < config.numKvHeads(); h++) {
                rope.rotate(qkv, base + qDim + h * headDim, position);
            }
            // Every row's key and value are in the cache before any row attends: rows of a pass see each other.
            HeapKvCache cache = heapCache(batch, r);
            cache.write(layer, batch.slot(r), qkv, base + qDim, base + qDim + kvDim);
        }
        int kvHeads = config.numKvHeads();
        // The heads of a key/value group attend together, reading each key and value once for several of them;
        // a group splits only where there would otherwise be fewer items than compute threads (same bits either
        // way). Head-major: the rows of a tree read the same keys and values one after another, while in cache.
        int chunk = ceilDiv(groupSize, Math.min(groupSize, ceilDiv(pool.threads(), n * kvHeads)));
        int chunks = ceilDiv(groupSize, chunk);
        // Each of attention's multiply-adds counts twice (the scores' softmax around it costs about as much), so it
        // stays on the calling thread below half the matmuls' amount: demo, batch 1, short prompts, alternated in one
        // process (12 rounds, medians): plain 8,493 -> 9,500 tokens/s, chain:2 9,449 -> 10,307 against always
        // parallel; at a 448-token prefix it stays parallel (serial there cost 1.2-1.4x per pass).
        attention.run(batch, layer, chunk, chunks, 2 * visibleSlots * config.numHeads() * 2 * headDim);
        ops.matmul(w.output(), attnOut, n, proj);
        addInto(x, proj, n * hidden);
    }

    /**
     * A pass's attention of one layer, as the pool hands it out: items of (row, key/value group, chunk of its heads),
     * rows innermost. One instance serves every layer (forward is synchronized), so handing it out allocates nothing.
     */
    private final class AttentionItems implements ComputePool.RangeBody {
        private PassBatch batch;
        private int layer;
        private int chunk;
        private int chunks;

        void run(PassBatch batch, int layer, int chunk, int chunks, long multiplyAdds) {
            this.batch = batch;
            this.layer = layer;
            this.chunk = chunk;
            this.chunks = chunks;
            try {
                // The rows' queries, keys and values were just written by the calling thread.
                pool.parallelFor(batch.size() * config.numKvHeads() * chunks, multiplyAdds,
                        (long) batch.size() * (qDim + 2 * kvDim), this);
            } finally {
                this.batch = null;
            }
        }

        @Override
        public void run(int start, int end, int worker) {
            int n = batch.size();
            for (int item = start; item < end; item++) {
                int group = item / n;
                int firstInGroup = group % chunks * chunk;
                attendHeads(batch, layer, item % n, group / chunks * groupSize + firstInGroup,
                        Math.min(chunk, groupSize - firstInGroup), scores[worker], weightSums[worker]);
            }
        }
    }

    /**
     * Softmax attention of one row for {@code count} heads of one key/value group from {@code firstHead}, over the
     * row's visible slots walked in position order. Head j's scores are score[j * scoreStride + s] for the prefix
     * slot s (scored a key block at a time); the extra slots follow from its score[prefix]; an extra's score is
     * its block's lane, the very number it gets as a prefix slot in a later pass.
     */
    private void attendHeads(PassBatch batch, int layer, int row, int firstHead, int count, float[] score,
                             float[] sums) {
        HeapKvCache cache = (HeapKvCache) batch.cache(row);
        float[] keys = cache.keys(layer);
        float[] values = cache.values(layer);
        int block = HeapKvCache.BLOCK;
        int stride = scoreStride;
        int qOffset = row * (qDim + 2 * kvDim) + firstHead * headDim;
        int kvHead = firstHead / groupSize;
        int prefix = batch.prefixSlots(row);
        // The window as transformers' masking_utils (sliding_window_overlay) has it, and its sdpa mask before: key
        // position k is visible to query position p iff p - window < k <= p, the query and the window - 1 before it.
        int first = config.slidingWindow() > 0 ? Math.max(0, batch.position(row) - config.slidingWindow() + 1) : 0;
        for (int s = first - first % block; s < prefix; s += block) {
            ops.keyBlockScores(qkv, qOffset, count, keys, cache.keyBlock(kvHead, s), headDim, block, score, s, stride);
        }
        // Extra slots hold positions prefix, prefix + 1, ...: a sliding window may cut the oldest of them too.
        int firstExtra = batch.extraStart(row) + Math.max(0, first - prefix);
        int scratch = stride - block; // one block's lanes, past every score
        int end = prefix;
        int scoredBlock = -1; // a tree's rows sit side by side in the cache: one block's scores serve several
        for (int e = firstExtra; e < batch.extraEnd(row); e++) {
            int slot = batch.extraSlot(e);
            if (slot / block != scoredBlock) {
                scoredBlock = slot / block;
                ops.keyBlockScores(qkv, qOffset, count, keys, cache.keyBlock(kvHead, slot), headDim, block, score,
                        scratch, stride);
            }
            for (int j = 0; j < count; j++) {
                score[j * stride + end] = score[j * stride + scratch + slot % block];
            }
            end++;
        }
        int from = Math.min(first, prefix);
        for (int j = 0; j < count; j++) {
            float max = ops.scaleAndMax(score, j * stride + from, end - from, attentionScale);
            ops.expBelow(max, score, j * stride + from, end - from);
        }
        int out = row * qDim + firstHead * headDim;
        Arrays.fill(attnOut, out, out + count * headDim, 0f);
        Arrays.fill(sums, 0, count, 0f); // of the weights in position order, as the values are added
        if (first < prefix) {
            ops.addWeightedRows(score, first, stride, count, prefix - first, values, cache.valueOffset(kvHead, first),
                    headDim, attnOut, out, headDim, sums);
        }
        int i = prefix;
        for (int e = firstExtra; e < batch.extraEnd(row); e++) {
            ops.addWeightedRows(score, i++, stride, count, 1, values, cache.valueOffset(kvHead, batch.extraSlot(e)),
                    headDim, attnOut, out, headDim, sums);
        }
        for (int j = 0; j < count; j++) {
            float inverseSum = 1f / sums[j];
            for (int d = out + j * headDim; d < out + (j + 1) * headDim; d++) {
                attnOut[d] *= inverseSum;
            }
        }
    }

    private static HeapKvCache heapCache(PassBatch batch, int row) {
        if (!(batch.cache(row) instanceof HeapKvCache cache)) {
            throw new IllegalArgumentException("row " + row + " has a KV cache of another backend: "
                    + batch.cache(row).getClass().getSimpleName());
        }
        return cache;
    }

    private void mlpBlock(int n, LayerWeights w) {
        for (int r = 0; r < n; r++) {
            ops.rmsNorm(x, r * hidden, w.ffnNorm(), config.rmsNormEps(), xNorm, r * hidden, hidden);
        }
        ops.matmul(w.gateUp(), xNorm, n, gateUp);
        ops.siluGate(gateUp, config.intermediateSize(), n, act);
        ops.matmul(w.down(), act, n, proj);
        addInto(x, proj, n * hidden);
    }

    private static void addInto(float[] acc, float[] delta, int length) {
        for (int i = 0; i < length; i++) {
            acc[i] += delta[i];
        }
    }

    /**
     * Per query: room for every visible score, the last prefix block's spill-over, the 16 floats expBelow may use
     * after the scores, and one block of scratch; for every head of a key/value group.
     */
    private void ensureScores(int visible) {
        int stride = visible + 2 * HeapKvCache.BLOCK + 16;
        if (scores.length != pool.threads() || stride > scoreStride) {
            scoreStride = Math.max(stride, 256);
            scores = new float[pool.threads()][groupSize * scoreStride];
            weightSums = new float[pool.threads()][groupSize];
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private void ensureCapacity(int rows) {
        if (rows <= capacityRows) {
            return;
        }
        int n = Math.max(rows, 2 * capacityRows);
        x = new float[n * hidden];
        xNorm = new float[n * hidden];
        qkv = new float[n * (qDim + 2 * kvDim)];
        attnOut = new float[n * qDim];
        proj = new float[n * hidden];
        gateUp = new float[n * 2 * config.intermediateSize()];
        act = new float[n * config.intermediateSize()];
        logitInput = new float[n * hidden];
        capacityRows = n;
    }
}
