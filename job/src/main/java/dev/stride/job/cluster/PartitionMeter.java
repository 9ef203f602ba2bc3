package dev.stride.job.cluster;

import dev.stride.decoder.engine.PassLedger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts one partition's rows and tokens into the job's accumulators, logs its progress, and reports it with the
 * executor's numerics when it is done.
 */
public final class PartitionMeter {

    private static final Logger LOG = LoggerFactory.getLogger(PartitionMeter.class);
    private static final long LOG_EVERY_MILLIS = 30_000;

    private final int partition;
    private final String executor;
    private final JobProgress progress;
    private final ExecutorNumerics numerics;
    private final long startMillis = System.currentTimeMillis();
    private long lastLogMillis = startMillis;
    private long rows;
    private long failedRows;
    private long completionTokens;

    public PartitionMeter(int partition, String executor, JobProgress progress, ExecutorNumerics numerics) {
        this.partition = partition;
        this.executor = executor;
        this.progress = progress;
        this.numerics = numerics;
    }

    public void row(int tokens, boolean failed) {
        rows++;
        completionTokens += tokens;
        progress.rows.add(1);
        progress.completionTokens.add(tokens);
        if (failed) {
            failedRows++;
            progress.failedRows.add(1);
        }
        long now = System.currentTimeMillis();
        if (now - lastLogMillis >= LOG_EVERY_MILLIS) {
            lastLogMillis = now;
            log("running", now);
        }
    }

    /** @param passes the partition's decode passes */
    public void finish(PassLedger passes) {
        long now = System.currentTimeMillis();
        log("done", now);
        progress.report(new JobProgress.PartitionReport(executor, partition, rows, failedRows, completionTokens,
                passes, startMillis, now, numerics));
    }

    private void log(String state, long now) {
        double seconds = Math.max(now - startMillis, 1) / 1000.0;
        LOG.info(String.format("partition %d %s: %d rows (%d failed), %d tokens in %.1f s, %.1f tokens/s",
                partition, state, rows, failedRows, completionTokens, seconds, completionTokens / seconds));
    }
}
