package dev.stride.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart;

/**
 * What each Spark stage of a run read: Parquet records and bytes (and from which locations of its query), shuffle
 * records read and written, records written, for tests that count the scans a run makes.
 */
public final class ScanAudit extends SparkListener {

    private static final Pattern LOCATION = Pattern.compile("Location: \\w+ \\[([^\\]]*)\\]");

    /** One completed stage. */
    public record Stage(int job, int stage, String name, String query, List<String> locations, long recordsRead,
                        long bytesRead, long shuffleRead, long shuffleWritten, long recordsWritten, boolean skipped) {
    }

    private final SparkContext context;
    private final Map<Long, String> queries = new ConcurrentHashMap<>();
    private final Map<Long, List<String>> queryLocations = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> stageJob = new ConcurrentHashMap<>();
    private final Map<Integer, Long> jobQuery = new ConcurrentHashMap<>();
    private final List<Stage> stages = new ArrayList<>();

    private ScanAudit(SparkContext context) {
        this.context = context;
    }

    public static ScanAudit register(SparkContext context) {
        ScanAudit audit = new ScanAudit(context);
        context.addSparkListener(audit);
        return audit;
    }

    @Override
    public void onOtherEvent(SparkListenerEvent event) {
        if (event instanceof SparkListenerSQLExecutionStart start) {
            queries.put(start.executionId(), start.description());
            List<String> locations = new ArrayList<>();
            Matcher matcher = LOCATION.matcher(start.physicalPlanDescription());
            while (matcher.find()) {
                if (!locations.contains(matcher.group(1))) {
                    locations.add(matcher.group(1));
                }
            }
            queryLocations.put(start.executionId(), locations);
        }
    }

    @Override
    public void onJobStart(SparkListenerJobStart start) {
        String execution = start.properties() == null ? null
                : start.properties().getProperty("spark.sql.execution.id");
        if (execution != null) {
            jobQuery.put(start.jobId(), Long.parseLong(execution));
        }
        scala.collection.Iterator<Object> ids = start.stageIds().iterator();
        while (ids.hasNext()) {
            stageJob.put((Integer) ids.next(), start.jobId());
        }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted completed) {
        StageInfo info = completed.stageInfo();
        TaskMetrics metrics = info.taskMetrics();
        int job = stageJob.getOrDefault(info.stageId(), -1);
        Long query = jobQuery.get(job);
        stages.add(new Stage(job, info.stageId(), info.name(), query == null ? null : queries.get(query),
                query == null ? List.of() : queryLocations.getOrDefault(query, List.of()),
                metrics.inputMetrics().recordsRead(), metrics.inputMetrics().bytesRead(),
                metrics.shuffleReadMetrics().recordsRead(), metrics.shuffleWriteMetrics().recordsWritten(),
                metrics.outputMetrics().recordsWritten(), false));
    }

    /** The stages completed so far, once every event before this call has been seen. */
    public List<Stage> stages() {
        // Not while holding the lock: the listener thread needs it to deliver the events waited for.
        drain();
        synchronized (this) {
            return List.copyOf(stages);
        }
    }

    public void clear() {
        drain();
        synchronized (this) {
            stages.clear();
        }
    }

    private void drain() {
        try {
            context.listenerBus().waitUntilEmpty();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    public void close() {
        context.removeSparkListener(this);
    }

    /** Records read by stages whose query scans a location containing {@code location}. */
    public long recordsReadFrom(String location) {
        return stages().stream().filter(s -> s.locations().stream().anyMatch(l -> l.contains(location)))
                .mapToLong(Stage::recordsRead).sum();
    }

    /** A table of the stages, for the test log. */
    public String table(Map<String, String> shortNames) {
        Map<String, String> names = new LinkedHashMap<>(shortNames);
        return stages().stream().map(s -> String.format("job %3d stage %3d  read %7d rec %9d B  shuffle r %7d w %7d"
                        + "  wrote %6d  %-40.40s %s", s.job(), s.stage(), s.recordsRead(), s.bytesRead(),
                s.shuffleRead(), s.shuffleWritten(), s.recordsWritten(), s.name(),
                s.locations().stream().map(l -> shorten(l, names)).collect(Collectors.joining(","))))
                .collect(Collectors.joining("\n"));
    }

    private static String shorten(String location, Map<String, String> names) {
        for (Map.Entry<String, String> name : names.entrySet()) {
            location = location.replace(name.getKey(), name.getValue());
        }
        return location;
    }
}
