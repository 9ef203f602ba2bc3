package dev.stride.job.cluster;

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

    private ExecutorListener(SparkContext context) {
        this.context = context;
    }

    public static ExecutorListener register(SparkContext context) {
        ExecutorListener listener = new ExecutorListener(context);
        if (context.isLocal()) {
            listener.time.present("driver");
        } else {
            try {
                // A Scala iterator: the Seq's type differs between Scala 2.12 and 2.13, its iterator does not.
                scala.collection.Iterator<String> executors = context.getExecutorIds().iterator();
                while (executors.hasNext()) {
                    listener.time.present(executors.next());
                }
            } catch (RuntimeException e) {
                LOG.debug("cannot list the executors at the run's start", e);
            }
        }
        context.addSparkListener(listener);
        return listener;
    }

    @Override
    public void onExecutorAdded(SparkListenerExecutorAdded event) {
        time.added(event.executorId(), event.time());
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
