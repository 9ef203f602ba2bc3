package dev.stride.job.cluster;

import dev.stride.decoder.engine.PassLedger;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The run's live counters, shown per stage in the Spark UI, and one report per finished partition for the summary.
 * Spark drops the updates of failed task attempts, so retries do not count twice.
 */
public final class JobProgress implements Serializable {

    private static final long serialVersionUID = 1L;

    /**
     * What one partition did, from its first to its last row, and with which numerics.
     *
     * @param passes its decode passes by size, to price them against plain decoding's
     */
    public record PartitionReport(String executor, int partition, long rows, long failedRows, long completionTokens,
                                  PassLedger passes, long startMillis, long endMillis, ExecutorNumerics numerics)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    final LongAccumulator rows;
    final LongAccumulator completionTokens;
    final LongAccumulator failedRows;
    /** Null when nothing reads the reports. */
    private final CollectionAccumulator<PartitionReport> partitions;

    private JobProgress(SparkContext context, boolean keepReports) {
        rows = context.longAccumulator("stride rows");
        completionTokens = context.longAccumulator("stride completion tokens");
        failedRows = context.longAccumulator("stride failed rows");
        // Unnamed: Spark puts a named accumulator's whole value (every report so far) in each task-end event, which
        // the UI keeps per task and the event log writes, so the events grew with the square of the partitions.
        partitions = keepReports ? context.collectionAccumulator() : null;
    }

    /** Counters and partition reports, for a run's summary. */
    public static JobProgress register(SparkContext context) {
        return new JobProgress(context, true);
    }

    /**
     * Counters only, for a DataFrame transform nobody summarizes: the driver keeps an accumulator's value as long as
     * the plan that holds it, so the reports of every action on the frame (every micro-batch of a streaming query)
     * piled up on the driver, read by nothing.
     */
    public static JobProgress countersOnly(SparkContext context) {
        return new JobProgress(context, false);
    }

    void report(PartitionReport report) {
        if (partitions != null) {
            partitions.add(report);
        }
    }

    public List<PartitionReport> partitionReports() {
        if (partitions == null) {
            throw new IllegalStateException("this progress counts rows and tokens only; it keeps no partition reports");
        }
        return List.copyOf(partitions.value());
    }
}
