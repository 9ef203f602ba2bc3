package dev.stride.decoder.cuda;

import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.safetensors.DType;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The forward pass of {@link dev.stride.decoder.forward.Transformer} on a GPU: the same steps in the same order,
 * each a kernel over every row of the pass, with weights and KV caches in device memory. Only the per-row tables go
 * up and the final hidden states and logits come back. Each kernel computes a row with arithmetic that does not
 * depend on the rest of the pass, so plain, prefill and tree passes agree bitwise, as on the CPU. All device work of
 * a backend, caches included, is serialized on it.
 */
public final class CudaForward implements ForwardBackend {

    private static final Logger LOG = Logger.getLogger(CudaForward.class.getName());
    /** Device memory left out of the KV cache budget for activations: at least this, or a tenth of what is free. */
    private static final long MIN_ACTIVATION_RESERVE = 1L << 30;

    private final Gpu gpu;
    private final ModelConfig config;
    private final Kernels kernels;
    private final DeviceWeights weights;
    private final DeviceRope rope;
    private final PassRows rows;
    private final SlotMoves moves;
    private final DeviceBuffer x;         // (rows, hidden) residual stream
    private final DeviceBuffer xNorm;     // (rows, hidden)
    private final DeviceBuffer qkv;       // (rows, qDim + 2 * kvDim)
    private final DeviceBuffer attnOut;   // (rows, qDim)
    private final DeviceBuffer gateUp;    // (rows, 2 * intermediate)
    private final DeviceBuffer act;       // (rows, intermediate)
    private final DeviceBuffer hiddenOut; // (rows, hidden) after the final norm
    private final DeviceBuffer logitInput; // (logit rows, hidden)
    private final DeviceBuffer logits;    // (logit rows, vocab)
    private final Set<CudaKvCache> caches = new HashSet<>();
    private boolean closed;

    private CudaForward(Gpu gpu, ModelConfig config, ModelWeights modelWeights) {
        this.gpu = gpu;
        this.config = config;
        this.kernels = new Kernels(gpu);
        this.weights = new DeviceWeights(gpu, modelWeights);
        this.rope = new DeviceRope(gpu, config);
        this.rows = new PassRows(gpu, this, config.vocabSize(), config.slidingWindow(), config.maxPositions());
        this.moves = new SlotMoves(gpu, kernels, config.numLayers(), config.kvDim());
        this.x = new DeviceBuffer(gpu);
        this.xNorm = new DeviceBuffer(gpu);
        this.qkv = new DeviceBuffer(gpu);
        this.attnOut = new DeviceBuffer(gpu);
        this.gateUp = new DeviceBuffer(gpu);
        this.act = new DeviceBuffer(gpu);
        this.hiddenOut = new DeviceBuffer(gpu);
        this.logitInput = new DeviceBuffer(gpu);
        this.logits = new DeviceBuffer(gpu);
    }

    /** Uploads the weights and takes ownership of {@code gpu}, closing it if the model cannot run there. */
    public static CudaForward open(Gpu gpu, ModelConfig config, ModelWeights weights) {
        try {
            checkShapes(config);
            return new CudaForward(gpu, config, weights);
        } catch (RuntimeException e) {
            gpu.close(); // releases whatever the failed setup allocated
            throw e;
        }
    }

    /**
     * What the kernels assume of a model: vectorized matmul rows, float4 key loads, matmul grids and shared memory
     * within limits.
     */
    private static void checkShapes(ModelConfig c) {
        if (c.hiddenSize() % 8 != 0 || c.qDim() % 8 != 0 || c.intermediateSize() % 8 != 0 || c.headDim() % 4 != 0) {
            throw new IllegalArgumentException("the CUDA backend needs hidden_size, num_attention_heads * head_dim and "
                    + "intermediate_size divisible by 8 and head_dim by 4; got " + c.hiddenSize() + ", " + c.qDim()
                    + ", " + c.intermediateSize() + " and " + c.headDim());
        }
        long[] outputs = {c.vocabSize(), c.hiddenSize(), c.qDim() + 2L * c.kvDim(), 2L * c.intermediateSize()};
        String[] names = {"vocab_size", "hidden_size", "(num_attention_heads + 2 * num_key_value_heads) * head_dim",
            "2 * intermediate_size"};
        for (int i = 0; i < outputs.length; i++) {
            if (outputs[i] > Kernels.MAX_MATMUL_OUTPUTS) {
                throw new IllegalArgumentException("the CUDA matmul kernel computes at most "
                        + Kernels.MAX_MATMUL_OUTPUTS + " outputs (its grid's limit); " + names[i] + " is "
                        + outputs[i]);
            }
        }
        if (Kernels.attentionSharedBytes(c) > Kernels.MAX_SHARED_BYTES) {
            throw new IllegalArgumentException("the CUDA attention kernel cannot hold " + c.numHeads() / c.numKvHeads()
                    + " query heads of dimension " + c.headDim() + " per key/value head");
        }
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public String device() {
        return gpu.describe();
    }

    @Override
    public synchronized void forward(PassBatch batch, PassOutput out) {
        checkOpen();
        int n = batch.size();
        int logitRows = batch.logitRows();
        int hidden = config.hiddenSize();
        int vocab = config.vocabSize();
        int inter = config.intermediateSize();
        out.ensure(n, logitRows);
        if (n == 0) {
            return;
        }
        moves.flush();
        RowTable table = rows.upload(batch);
        rope.ensure(positionsReached(batch));
        long xs = x.ensure(4L * n * hidden);
        long norm = xNorm.ensure(4L * n * hidden);
        long q = qkv.ensure(4L * n * (config.qDim() + 2L * config.kvDim()));
        long attention = attnOut.ensure(4L * n * config.qDim());
        long gu = gateUp.ensure(8L * n * inter);
        long a = act.ensure(4L * n * inter);
        long last = hiddenOut.ensure(4L * n * hidden);
        float eps = config.rmsNormEps();

        kernels.gatherRows(weights.embedding(), table.tokens(), n, xs);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            DeviceWeights.Layer w = weights.layer(layer);
            kernels.rmsNorm(xs, w.attnNorm(), eps, norm, n, hidden);
            kernels.matmul(w.qkv(), norm, n, q, false);
            // Every row's key and value are in its cache before any row attends: rows of a pass see each other.
            kernels.qkvRopeStore(q, w.qkvBias(), rope.cos(), rope.sin(), table, layer, config);
            kernels.attention(q, attention, table, layer, config);
            kernels.matmul(w.output(), attention, n, xs, true);
            kernels.rmsNorm(xs, w.ffnNorm(), eps, norm, n, hidden);
            kernels.matmul(w.gateUp(), norm, n, gu, false);
            kernels.siluGate(gu, a, n, inter);
            kernels.matmul(w.down(), a, n, xs, true);
        }
        kernels.rmsNorm(xs, weights.finalNorm(), eps, last, n, hidden);
        if (logitRows > 0) {
            long input = logitInput.ensure(4L * logitRows * hidden);
            long result = logits.ensure(4L * logitRows * vocab);
            kernels.gatherRows(new DeviceMatrix(last, n, hidden, DType.F32), table.logitRows(), logitRows, input);
            kernels.matmul(weights.lmHead(), input, logitRows, result, false);
            gpu.download(out.logits(), result, logitRows * vocab);
        }
        gpu.download(out.hidden(), last, n * hidden);
    }

    /** One past the largest position of the pass. */
    private static int positionsReached(PassBatch batch) {
        int reached = 0;
        for (int r = 0; r < batch.size(); r++) {
            reached = Math.max(reached, batch.position(r) + 1);
        }
        return reached;
    }

    /**
     * Caches come out of device memory left after the weights, less a reserve for activations, and at most
     * {@code requestedBytes}.
     */
    @Override
    public synchronized KvCacheBudget kvCacheBudget(long requestedBytes) {
        checkOpen();
        long free = gpu.freeMemory();
        long available = free - Math.max(MIN_ACTIVATION_RESERVE, free / 10);
        if (available <= 0) {
            throw new IllegalStateException(device() + ": no device memory left for KV caches (" + (free >> 20)
                    + " MiB free after the weights)");
        }
        long budget = Math.min(requestedBytes, available);
        LOG.info(device() + ": KV cache budget " + (budget >> 20) + " MiB (requested " + (requestedBytes >> 20)
                + " MiB, " + (free >> 20) + " MiB free)");
        return new KvCacheBudget(config, budget, new KvCacheBudget.Allocator() {
            @Override
            public KvCache allocate(int slots) {
                return allocateCache(slots);
            }

            @Override
            public void free(KvCache cache) {
                freeCache(CudaKvCache.of(cache, -1, CudaForward.this));
            }
        });
    }

    private synchronized CudaKvCache allocateCache(int slots) {
        checkOpen();
        long address = gpu.allocate(KvCache.bytesFor(config.numLayers(), slots, config.kvDim()));
        CudaKvCache cache = new CudaKvCache(this, address, slots);
        caches.add(cache);
        return cache;
    }

    /** After close the context is gone and with it every cache. */
    private synchronized void freeCache(CudaKvCache cache) {
        if (!closed && caches.remove(cache)) {
            moves.drop(cache);
            gpu.free(cache.address());
        }
    }

    synchronized void queueMove(CudaKvCache cache, int from, int to) {
        checkOpen();
        moves.add(cache, from, to);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(device() + ": the CUDA backend is closed");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // After a kernel fault every call fails, frees too, until the context goes: it must go even then, or it
        // stays retained, its memory and its fault with it, under every later backend of this process.
        try {
            for (CudaKvCache cache : caches) {
                gpu.free(cache.address());
            }
            caches.clear();
            for (DeviceBuffer buffer : Arrays.asList(x, xNorm, qkv, attnOut, gateUp, act, hiddenOut, logitInput,
                    logits)) {
                buffer.close();
            }
            rows.close();
            moves.close();
            rope.close();
            weights.close();
        } finally {
            gpu.close();
        }
    }
}
