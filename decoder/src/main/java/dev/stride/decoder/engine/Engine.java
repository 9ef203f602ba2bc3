package dev.stride.decoder.engine;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.JitFlags;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.cuda.DeviceSelection;
import dev.stride.decoder.cuda.DeviceSpec;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.mtp.CostAwareTree;
import dev.stride.decoder.mtp.Drafter;
import dev.stride.decoder.mtp.DraftingRegime;
import dev.stride.decoder.mtp.HeadsLoader;
import dev.stride.decoder.mtp.MedusaDrafter;
import dev.stride.decoder.mtp.MedusaHeads;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.tokenizer.IncrementalDetokenizer;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.logging.Logger;
import jdk.incubator.vector.FloatVector;

/**
 * A loaded model (plus optional heads and tokenizer) ready to decode: the object a CLI command or a Spark executor
 * holds. Thread-safe to share; each thread decodes through its own {@link BatchDecoder}.
 */
public final class Engine implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Engine.class.getName());

    /** Cached tokens before the rows of a measured pass: a short prompt's worth. */
    public static final int COST_PREFIX = 64;
    /** Prompt and completion length of the warm-up's made-up requests. */
    private static final int WARM_UP_PROMPT = 8;
    private static final int WARM_UP_TOKENS = 24;

    private final Model model;
    private final StrideTokenizer tokenizer;
    private final HeadsLoader.Loaded heads; // null without heads
    private final ComputePool pool;
    private final VectorOps ops;
    private final ForwardBackend transformer;
    private final KvCacheBudget budget;
    private PassCostCurve passCost;
    private SpeculationCosts speculationCosts;
    private final DraftingRegime draftingRegime = new DraftingRegime(); // auto's, shared by every decoder
    private volatile boolean closed;

    private Engine(Model model, StrideTokenizer tokenizer, HeadsLoader.Loaded heads, ComputePool pool,
                   DeviceSpec device, long kvCacheBytes) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.heads = heads;
        this.pool = pool;
        this.ops = new VectorOps(pool);
        this.transformer = DeviceSelection.open(device, model.config(), model.weights(),
                () -> new Transformer(model.config(), model.weights(), ops, pool));
        try {
            this.budget = transformer.kvCacheBudget(kvCacheBytes);
        } catch (RuntimeException e) {
            transformer.close();
            throw e;
        }
    }

    public static Engine load(EngineOptions options) {
        JitFlags.warning().ifPresent(LOG::warning);
        DeviceSpec device = DeviceSpec.parse(options.device());
        int threads = ComputePool.threadsFor(options.threads());
        Model model = ModelLoader.load(options.modelDir(), options.weights());
        if (model.layout().quantized() && device.kind() != DeviceSpec.Kind.CPU) {
            if (device.kind() == DeviceSpec.Kind.CUDA) {
                model.close();
                boolean fromFiles = WeightLayout.pinned(options.weights()).equals("auto");
                throw new IllegalArgumentException("--device " + options.device() + ": " + model.layout().name()
                        .toLowerCase(Locale.ROOT) + " weights run on the CPU backend only (use --device cpu"
                        + (fromFiles ? "; the model was imported from Q8_0 blocks and loads as q8 unless --weights"
                        + " packed asks for their exact float32 values)" : ")"));
            }
            LOG.info("device auto: the CPU backend, for " + model.layout().name().toLowerCase(Locale.ROOT)
                    + " weights (the GPU kernels have no 8-bit path)");
            device = DeviceSpec.CPU;
        }
        StrideTokenizer tokenizer = null;
        HeadsLoader.Loaded heads = null;
        ComputePool pool = null;
        try {
            tokenizer = StrideTokenizer.load(options.modelDir());
            if (options.headsDir() != null) {
                heads = HeadsLoader.load(options.headsDir(), model.config(), model.weights(),
                        WeightLayout.forHeads(options.weights(), model.layout()));
            }
            pool = new ComputePool(threads);
            return new Engine(model, tokenizer, heads, pool, device, options.kvCacheBytes());
        } catch (RuntimeException e) {
            if (pool != null) {
                pool.close(); // its workers would outlive the failed load: one more set per Spark task attempt
            }
            if (tokenizer != null) {
                tokenizer.close();
            }
            if (heads != null) {
                heads.store().close();
            }
            model.close();
            throw e;
        }
    }

    public StrideTokenizer tokenizer() {
        return tokenizer;
    }

    public Model model() {
        return model;
    }

    public String modelName() {
        return model.name();
    }

    public Path modelDir() {
        return model.directory();
    }

    public long parameterCount() {
        return model.parameterCount();
    }

    public long weightBytes() {
        return model.weights().bytesPerPass();
    }

    /**
     * Multiply-adds one row of a pass costs after {@code prefix} cached tokens: the weight matrices, plus attention
     * (a score and a weighted value per query dimension, cached token and layer).
     */
    public long multiplyAddsPerRow(int prefix) {
        ModelConfig config = model.config();
        return model.weights().multiplyAddsPerRow() + 2L * config.qDim() * prefix * config.numLayers();
    }

    public String weightDtype() {
        return model.weights().dtype().name();
    }

    /**
     * How the weights are held, e.g. "packed_bfloat16" or "q8": runs that must agree bit for bit need the same one,
     * and "q8"/"q8_keep_head" mark quantized weights (other values than the stored ones).
     */
    public String weightLayout() {
        return model.layout().name().toLowerCase(Locale.ROOT);
    }

    public int contextLength() {
        return model.config().maxPositions();
    }

    public int threads() {
        return pool.threads();
    }

    /**
     * Width of the CPU vectors the kernels run on, in bits (128 SSE/NEON, 256 AVX2, 512 AVX-512). Outputs do not
     * depend on it; recorded so a run can show which machines took part.
     */
    public static int vectorBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /** Where forward passes run, e.g. "cpu (8 threads)" or "cuda:0 NVIDIA H200 (...)". */
    public String device() {
        return transformer.device();
    }

    public Optional<MedusaHeads> heads() {
        return heads == null ? Optional.empty() : Optional.of(heads.heads());
    }

    public Optional<String> headsName() {
        return heads().map(MedusaHeads::name);
    }

    public int numHeads() {
        return heads == null ? 0 : heads.heads().numHeads();
    }

    /** Tokens the heads may propose: their draft vocabulary's, or the model's vocabulary; 0 without heads. */
    public int draftTokens() {
        return heads == null ? 0 : heads.heads().vocabSize();
    }

    public int headLayers() {
        return heads == null ? 0 : heads.heads().numLayers();
    }

    /** A decoder for one thread. Multi-token mode needs heads. */
    public BatchDecoder newDecoder(DecoderOptions options) {
        if (closed) {
            // On the CPU its passes still ran, on one thread, and requests failed at their first text.
            throw new IllegalStateException("the engine of " + modelDir() + " is closed");
        }
        Drafter drafter = null;
        if (options.mode() == DecodingMode.MTP) {
            if (heads == null) {
                throw new IllegalArgumentException("multi-token decoding needs prediction heads (--heads DIR)");
            }
            MedusaHeads h = heads.heads();
            drafter = new MedusaDrafter(h, TreeSpecs.parse(options.tree(), h.numHeads(), this::speculationCosts,
                    draftingRegime), ops);
        }
        return new BatchDecoder(transformer, budget, drafter, tokenizer.eosIds(), textOf(tokenizer),
                options.maxBatch());
    }

    /** Completion text by {@code tokenizer}: streamed per sequence, and whole decodes. */
    static TextStream.Factory textOf(StrideTokenizer tokenizer) {
        return new TextStream.Factory() {
            @Override
            public TextStream open(int[] promptIds) {
                IncrementalDetokenizer stream = tokenizer.newDetokenizer(promptIds);
                return new TextStream() {
                    @Override
                    public String push(int tokenId) {
                        return stream.push(tokenId);
                    }

                    @Override
                    public String flush() {
                        return stream.flush();
                    }
                };
            }

            @Override
            public String decode(int[] ids) {
                return tokenizer.decode(ids);
            }
        };
    }

    /**
     * The measured pass cost by rows, for telling what multi-token decoding with these options saved; empty for
     * plain decoding.
     */
    public Optional<PassCostCurve> passCostCurve(DecoderOptions options) {
        return options.mode() != DecodingMode.MTP || heads == null ? Optional.empty() : Optional.of(passCostCurve());
    }

    /**
     * Runs the kernels (passes and heads) until the JIT has compiled them; returns the seconds it took. For a
     * long-lived process such as a Spark executor: until then a pass runs in the JIT's first tiers, where the
     * vector kernels are many times slower, and on a JVM whose compiler is busy with other code (Spark's) that
     * lasted seconds into the first partition.
     */
    public synchronized double warmUp() {
        long start = System.nanoTime();
        List<Runnable> decoding = heads == null ? List.of()
                : List.of(decodes("chain:" + Math.min(CostAwareTree.MAX_CHAIN, numHeads()), 1), decodes("nodes:8", 4));
        PassCostMeter.warmUp(transformer, budget, heads == null ? null : heads.heads(), ops, decoding);
        if (heads != null) {
            // What auto sizes its trees from takes seconds to measure; here it stays out of the first partition's
            // decoding time (a first auto decoder measured 400 tokens/s over its first 3 s where later ones 9,000).
            speculationCosts();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * Multi-token decoding of {@code batch} made-up prompts with {@code tree}: the verification, acceptance and cache
     * bookkeeping that {@code auto} runs only in contests, where, still interpreted, drafting lost every first
     * contest (1,400-2,500 tokens/s where it later made 8,000-10,000) and waited long before the next.
     */
    private Runnable decodes(String tree, int batch) {
        int[] prompt = new int[WARM_UP_PROMPT];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (31 * i + 7) % model.config().vocabSize();
        }
        return () -> {
            try (BatchDecoder decoder = newDecoder(new DecoderOptions(DecodingMode.MTP, tree, batch))) {
                for (int i = 0; i < batch; i++) {
                    decoder.submit(new GenerationRequest("warm-up-" + i, prompt, WARM_UP_TOKENS,
                            SamplingParams.GREEDY, List.of(), true));
                }
                decoder.runToCompletion();
            }
        };
    }

    /** This device's pass-cost curve after a {@link #COST_PREFIX}-token prefix, measured once on first use. */
    public synchronized PassCostCurve passCostCurve() {
        if (passCost == null) {
            passCost = measurePassCost(COST_PREFIX);
        }
        return passCost;
    }

    /** Measures the pass-cost curve after {@code prefix} cached tokens (at most the context less 64 rows). */
    public PassCostCurve measurePassCost(int prefix) {
        return PassCostMeter.measure(transformer, budget, PassCostMeter.DEFAULT_ROWS, prefix, 5);
    }

    /** The pass-cost curve and the time of the heads by rows, both measured once on first use. */
    public synchronized SpeculationCosts speculationCosts() {
        if (heads == null) {
            throw new IllegalStateException("no prediction heads loaded");
        }
        if (speculationCosts == null) {
            speculationCosts = PassCostMeter.measureHeads(passCostCurve(), heads.heads(), ops,
                    PassCostMeter.DEFAULT_ROWS, 5, transformer, budget);
        }
        return speculationCosts;
    }

    @Override
    public void close() {
        closed = true;
        transformer.close();
        pool.close();
        tokenizer.close();
        if (heads != null) {
            heads.store().close();
        }
        model.close();
    }
}
