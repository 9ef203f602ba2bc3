package dev.stride.job.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records, on the driver for one run, when executors were added and removed and when their tasks ran, into an
 * {@link ExecutorTime}. Executors already there when it is registered (local mode's {@code driver}, a cluster's
 * running executors) have no added event and count as alive from the run's start.
 */
public final class ExecutorListener extends SparkListener {

    private static final Logger LOG = LoggerFactory.getLogger(ExecutorListener.class);
    private static final long DRAIN_MILLIS = 10_000;

    private final SparkContext context;
    private final ExecutorTime time = new ExecutorTime();
    private boolean closed;
    private int mostCores; // the most cores an executor added during the run had

    private ExecutorListener(SparkContext context) {
        this.context = context;
    }

    public static ExecutorListener register(SparkContext context) {
        ExecutorListener listener = new ExecutorListener(context);
        if (context.isLocal()) {
            listener.time.present("driver");
        } else {
            runningExecutors(context).forEach(listener.time::present);
        }
        context.addSparkListener(listener);
        return listener;
    }

    /** The cluster's executors now; empty where they cannot be listed. */
    private static List<String> runningExecutors(SparkContext context) {
        List<String> ids = new ArrayList<>();
        try {
            // A Scala iterator: the Seq's type differs between Scala 2.12 and 2.13, its iterator does not.
            scala.collection.Iterator<String> executors = context.getExecutorIds().iterator();
            while (executors.hasNext()) {
                ids.add(executors.next());
            }
        } catch (RuntimeException e) {
            LOG.debug("cannot list the executors", e);
        }
        return ids;
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded event) {
        time.added(event.executorId(), event.time());
        synchronized (this) {
            mostCores = Math.max(mostCores, event.executorInfo().totalCores());
        }
    }

    /**
     * Cores of an executor, which the cost report bills: local mode's parallelism; spark.executor.cores where set;
     * else what the cluster manager gave the executors added during the run (a standalone cluster gives each all of
     * its worker's cores, not 1); else, for executors there before the run, the cluster's cores over its executors.
     */
    public synchronized int coresPerExecutor() {
        String key = "spark.executor.cores";
        int configured = context.getConf().contains(key) ? context.getConf().getInt(key, 1) : 0;
        return coresPerExecutor(context.isLocal(), context.defaultParallelism(), configured, mostCores,
                () -> runningExecutors(context).size());
    }

    /** {@link #coresPerExecutor()} from its inputs: 0 for a setting absent or no executor added. */
    static int coresPerExecutor(boolean local, int parallelism, int configured, int mostAdded, IntSupplier running) {
        if (local) {
            return parallelism;
        }
        if (configured > 0) {
            return configured;
        }
        return mostAdded > 0 ? mostAdded : Math.max(1, parallelism / Math.max(1, running.getAsInt()));
    }

    @Override
    public void onExecutorRemoved(SparkListenerExecutorRemoved event) {
        time.removed(event.executorId(), event.time());
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart event) {
        if (event.taskInfo() != null) {
            time.present(event.taskInfo().executorId());
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        TaskInfo info = event.taskInfo();
        if (info != null) {
            long end = info.finishTime() > 0 ? info.finishTime() : System.currentTimeMillis();
            time.task(info.executorId(), info.launchTime(), end);
        }
    }

    /** Unregisters; again is a no-op. */
    public synchronized void close() {
        if (!closed) {
            closed = true;
            context.removeSparkListener(this);
        }
    }

    /**
     * Waits until the listener bus has delivered the run's events, unregisters and returns the figures within the
     * run's window. Tasks still running at the end (none, normally) are not counted.
     */
    public ExecutorTime.Totals finish(long runStartMillis, long runEndMillis) {
        try {
            context.listenerBus().waitUntilEmpty(DRAIN_MILLIS);
        } catch (Exception e) {
            LOG.warn("the listener bus did not drain in {} ms; executor-seconds may miss the last events",
                    DRAIN_MILLIS);
        }
        close();
        return time.within(runStartMillis, runEndMillis);
    }
}
