package dev.stride.job.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.job.LocalSparkExtension;
import java.util.Map;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.cluster.ExecutorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The listener's reading of Spark's events: a killed executor and its replacement, as a cluster reports them. */
class ExecutorListenerTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    @Test
    void aKilledAndReplacedExecutorIsAliveOnceAtATime() {
        ExecutorListener listener = ExecutorListener.register(SPARK.session().sparkContext());
        ExecutorInfo info = new ExecutorInfo("host", 2, scala.collection.immutable.Map$.MODULE$.<String, String>empty());
        listener.onExecutorAdded(new SparkListenerExecutorAdded(1_000, "1", info));
        listener.onExecutorRemoved(new SparkListenerExecutorRemoved(11_000, "1", "killed"));
        listener.onExecutorAdded(new SparkListenerExecutorAdded(11_000, "2", info));
        ExecutorTime.Totals totals = listener.finish(1_000, 21_000);
        // local mode's driver (no added event) for the whole 20 s, then 10 s each for 1 and 2: 40, not 60.
        assertEquals(Map.of("driver", 20.0, "1", 10.0, "2", 10.0), Map.of(
                "driver", totals.of("driver").aliveSeconds(), "1", totals.of("1").aliveSeconds(),
                "2", totals.of("2").aliveSeconds()));
        assertEquals(40.0, totals.aliveSeconds(), 1e-9);
    }

    /**
     * The cores billed per executor: a standalone cluster without spark.executor.cores gives each executor all of
     * its worker's cores (the summary once said 1, and the cost report billed a quarter of a 4-core executor).
     */
    @Test
    void coresPerExecutorComeFromTheSettingElseFromTheCluster() {
        assertEquals(2, ExecutorListener.coresPerExecutor(true, 2, 8, 4, () -> 3), "local: its parallelism");
        assertEquals(8, ExecutorListener.coresPerExecutor(false, 16, 8, 4, () -> 3), "the setting");
        assertEquals(4, ExecutorListener.coresPerExecutor(false, 16, 0, 4, () -> 3), "as executors were added");
        assertEquals(5, ExecutorListener.coresPerExecutor(false, 16, 0, 0, () -> 3), "cluster cores / executors");
        assertEquals(1, ExecutorListener.coresPerExecutor(false, 0, 0, 0, () -> 0));
    }
}
