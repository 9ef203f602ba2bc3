package dev.stride.job.infer;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.job.config.JobConfig;
import java.nio.file.Path;
import java.util.HashMap;
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
 * loads a directory rewritten in place again instead of serving the engine of files no longer there.
 *
 * <p>Tasks hold an engine through a {@link Lease}. A load for a location (model and heads on a device) supersedes the
 * engine loaded before for it, with other files, weights or threads: that one is closed when the last task holding it
 * is done, so a JVM reloading a retrained model every night holds one copy of its weights, not one per night. The
 * engine's compute threads are fixed when it loads (its pool is built into its kernels), hence a key, not a setting
 * per task. Two jobs that alternate between settings for one location in one JVM load it again at each switch.
 */
public final class ModelRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    /** Loads in progress and done, so that tasks of one executor load a model once. */
    private static final Map<Key, FutureTask<Engine>> ENGINES = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    /** Guards the two maps below, and the removal of a superseded engine from ENGINES. */
    private static final Object LEASES = new Object();
    /** The key each location was last leased with: the engines of its other keys are superseded. */
    private static final Map<Location, Key> CURRENT = new HashMap<>();
    /** How many leases of each loaded engine are open. */
    private static final Map<Key, Integer> USERS = new HashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ModelRegistry::closeAll, "stride-close-engines"));
    }

    /** What one engine at a time serves: model and heads as the run names them, on one device. */
    private record Location(String model, String heads, String device) {
        @Override
        public String toString() {
            return model + (heads == null ? "" : " (heads " + heads + ")");
        }
    }

    private record Key(Location location, Path modelDir, Path headsDir, String weights, int threads, String stamps) {
    }

    /** A task's hold on an engine; closing it (once the task is done with the engine) lets a superseded one close. */
    public static final class Lease implements AutoCloseable {
        private final Key key;
        private final Engine engine;
        private boolean released;

        private Lease(Key key, Engine engine) {
            this.key = key;
            this.engine = engine;
        }

        public Engine engine() {
            return engine;
        }

        @Override
        public void close() {
            Engine superseded;
            synchronized (LEASES) {
                if (released) {
                    return;
                }
                released = true;
                USERS.merge(key, -1, Integer::sum);
                superseded = removedIfUnused(key);
            }
            closeSuperseded(superseded);
        }
    }

    private ModelRegistry() {
    }

    /** The engine for this run on this executor, loaded on first use; close the lease when done with it. */
    public static Lease lease(JobConfig config) {
        Location location = new Location(config.model(), config.heads(), device(config.device()));
        while (true) {
            Path modelDir = ModelLocation.resolve(config.model());
            Path headsDir = config.heads() == null ? null : ModelLocation.resolve(config.heads());
            // Listed at every call: a few files per task, against a load that serves a model no longer at that path.
            String stamps = DirectoryStamp.of(modelDir) + (headsDir == null ? "" : DirectoryStamp.of(headsDir));
            Key key = new Key(location, modelDir, headsDir, config.weights(), threads(config), stamps);
            FutureTask<Engine> load = new FutureTask<>(() -> load(key));
            FutureTask<Engine> engine = ENGINES.putIfAbsent(key, load);
            if (engine == null) {
                engine = load;
                load.run(); // in this task's thread; the executor's other tasks for the model wait for it below
            }
            try {
                // Interruptible, unlike a load inside ConcurrentHashMap.computeIfAbsent: a task Spark kills while
                // another loads the model ends now, not when the load (minutes, for a large model) is done.
                Lease lease = held(key, engine, engine.get());
                if (lease != null) {
                    return lease;
                }
                // Superseded and closed between its load and this lease: look at the directories again.
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

    /**
     * A lease of the engine loaded for {@code key}, which supersedes the location's engine before (closed at once when
     * no task holds it); null when that engine was itself superseded and closed since its load.
     */
    private static Lease held(Key key, FutureTask<Engine> load, Engine engine) {
        Engine superseded;
        synchronized (LEASES) {
            if (ENGINES.get(key) != load) {
                return null;
            }
            USERS.merge(key, 1, Integer::sum);
            Key before = CURRENT.put(key.location(), key);
            superseded = before == null || before.equals(key) ? null : removedIfUnused(before);
        }
        closeSuperseded(superseded);
        return new Lease(key, engine);
    }

    /**
     * The engine of {@code key}, taken out of the registry, when it is superseded and no task holds it; else null.
     * Called holding LEASES; the caller closes it after (a close of an engine on a GPU takes a while).
     */
    private static Engine removedIfUnused(Key key) {
        if (USERS.getOrDefault(key, 0) > 0 || key.equals(CURRENT.get(key.location()))) {
            return null;
        }
        USERS.remove(key);
        FutureTask<Engine> engine = ENGINES.remove(key);
        return engine == null ? null : loaded(engine);
    }

    private static void closeSuperseded(Engine superseded) {
        if (superseded != null) {
            LOG.info("Closing the engine of {} loaded before: superseded, and no task uses it",
                    superseded.modelDir());
            superseded.close();
        }
    }

    /** The engine of a load that a lease was given for, so done and not failed. */
    private static Engine loaded(FutureTask<Engine> load) {
        try {
            return load.get(); // does not wait
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException("a leased engine's load did not finish", e);
        }
    }

    private static Engine load(Key key) {
        Key before;
        synchronized (LEASES) {
            before = CURRENT.get(key.location());
        }
        if (before != null && !before.equals(key)) {
            LOG.warn("Model {} changed since it was loaded in this JVM ({}): loading it again", key.location(),
                    before.stamps().equals(key.stamps()) ? "other settings" : "other files");
        }
        LOG.info("Loading model {} (heads {}) on {}", key.modelDir(), key.headsDir(), key.location().device());
        Engine engine = Engine.load(new EngineOptions(key.modelDir(), key.headsDir(), key.threads(),
                key.location().device(), EngineOptions.DEFAULT_KV_CACHE_BYTES, key.weights()));
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
