package dev.stride.job.infer;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.job.config.JobConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded engine per (model, heads, device, weights, threads) per JVM, shared by every task of the executor:
 * loading weights per task would dominate the run. The files in the model and heads directories are part of the key
 * (see {@link DirectoryStamp}), so a long-lived JVM (a notebook, Spark Connect, repeated {@code transform} calls)
 * loads a directory rewritten in place again instead of serving the engine of files no longer there. Engines live
 * until the JVM exits.
 */
public final class ModelRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    /** Loads in progress and done, so that tasks of one executor load a model once. */
    private static final Map<Key, FutureTask<Engine>> ENGINES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    /** The directory stamps each model (and heads) location was last loaded with, to say when they changed. */
    private static final Map<String, String> LOADED_STAMPS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ModelRegistry::closeAll, "stride-close-engines"));
    }

    /** The threads are part of it: an engine's compute pool is built into its kernels when it loads. */
    private record Key(Path modelDir, Path headsDir, String device, String weights, int threads, String stamps) {
    }

    private ModelRegistry() {
    }

    /** The engine for this run on this executor, loaded on first use. */
    public static Engine engine(JobConfig config) {
        Path modelDir = ModelLocation.resolve(config.model());
        Path headsDir = config.heads() == null ? null : ModelLocation.resolve(config.heads());
        // Listed at every call: a few files per task, against a load that serves a model no longer at that path.
        String stamps = DirectoryStamp.of(modelDir) + (headsDir == null ? "" : DirectoryStamp.of(headsDir));
        Key key = new Key(modelDir, headsDir, device(config.device()), config.weights(), threads(config), stamps);
        while (true) {
            FutureTask<Engine> load = new FutureTask<>(() -> load(key, config));
            FutureTask<Engine> engine = ENGINES.putIfAbsent(key, load);
            if (engine == null) {
                engine = load;
                load.run(); // in this task's thread; the executor's other tasks for the model wait for it below
            }
            try {
                // Interruptible, unlike a load inside ConcurrentHashMap.computeIfAbsent: a task Spark kills while
                // another loads the model ends now, not when the load (minutes, for a large model) is done.
                return engine.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for model " + config.model() + " to load",
                        e);
            } catch (ExecutionException e) {
                ENGINES.remove(key, engine); // not kept: a retry of the task loads again
                if (engine == load) {
                    throw rethrown(e.getCause());
                }
                // Another task's load failed (it may have been killed during it): this task loads for itself.
            }
        }
    }

    private static Engine load(Key key, JobConfig config) {
        String location = config.model() + (config.heads() == null ? "" : " (heads " + config.heads() + ")");
        String before = LOADED_STAMPS.put(location, key.stamps());
        if (before != null && !before.equals(key.stamps())) {
            // The engine loaded before stays open: a task of another job may still be decoding with it.
            LOG.warn("Model {} changed since it was loaded in this JVM: loading it again", location);
        }
        LOG.info("Loading model {} (heads {}) on {}", key.modelDir(), key.headsDir(), key.device());
        Engine engine = Engine.load(new EngineOptions(key.modelDir(), key.headsDir(), key.threads(), key.device(),
                EngineOptions.DEFAULT_KV_CACHE_BYTES, key.weights()));
        LOADS.incrementAndGet();
        return warmedUp(engine);
    }

    /** The load's own failure, as it was thrown (a load throws no checked exception). */
    private static RuntimeException rethrown(Throwable failure) {
        if (failure instanceof Error error) {
            throw error;
        }
        return failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
    }

    /** The engine warmed up; closed where warming up fails, or each retry of the task would leak one more. */
    private static Engine warmedUp(Engine engine) {
        try {
            LOG.info("Engine warmed up in {} s (JIT-compiled kernels before the first row)",
                    String.format(Locale.ROOT, "%.1f", engine.warmUp()));
            return engine;
        } catch (RuntimeException | Error e) {
            engine.close();
            throw e;
        }
    }

    /** How many engines this JVM has loaded so far. */
    public static int loads() {
        return LOADS.get();
    }

    /** The GPU Spark assigned to this task when the device is left to Spark ("auto" or "cuda" without index). */
    private static String device(String requested) {
        TaskContext task = TaskContext.get();
        if (task == null || !(requested.equals("auto") || requested.equals("cuda"))) {
            return requested;
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null || gpu.addresses().length == 0 ? requested : "cuda:" + gpu.addresses()[0];
    }

    /** --threads, else spark.task.cpus when set explicitly, else 0 (the engine uses the physical cores). */
    private static int threads(JobConfig config) {
        if (config.threads() > 0) {
            return config.threads();
        }
        SparkEnv env = SparkEnv.get();
        return env != null && env.conf().contains("spark.task.cpus") ? env.conf().getInt("spark.task.cpus", 0) : 0;
    }

    private static void closeAll() {
        for (FutureTask<Engine> engine : ENGINES.values()) {
            if (engine.isDone()) {
                try {
                    engine.get().close();
                } catch (InterruptedException | ExecutionException e) {
                    // a failed load has nothing to close
                }
            }
        }
        ENGINES.clear();
    }
}
