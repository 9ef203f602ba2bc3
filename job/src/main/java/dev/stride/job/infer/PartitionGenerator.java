package dev.stride.job.infer;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.Engine;
import dev.stride.job.cluster.ExecutorNumerics;
import dev.stride.job.cluster.JobProgress;
import dev.stride.job.cluster.PartitionMeter;
import dev.stride.job.config.JobConfig;
import dev.stride.job.io.OutputRows;
import dev.stride.job.io.RowLayout;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.util.TaskCompletionListener;

/** The executor side of a run and of StrideGenerator: generates a partition's work rows into output rows. */
public final class PartitionGenerator implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    /** Test hook: fail each task's first attempt after all its rows were generated, to exercise retries. */
    public static final String FAIL_FIRST_ATTEMPT = "stride.test.failFirstAttempt";
    /** Test hook: every attempt of the task for this partition fails after generating its rows. */
    public static final String FAIL_PARTITION = "stride.test.failPartition";

    private final JobConfig config;
    private final RowLayout layout;
    private final JobProgress progress;
    private final boolean logprobsColumn;

    public PartitionGenerator(JobConfig config, RowLayout layout, JobProgress progress, boolean logprobsColumn) {
        this.config = config;
        this.layout = layout;
        this.progress = progress;
        this.logprobsColumn = logprobsColumn;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        TaskContext task = TaskContext.get();
        ModelRegistry.Lease lease = ModelRegistry.lease(config);
        Engine engine = lease.engine();
        BatchDecoder decoder;
        try {
            decoder = engine.newDecoder(config.decoderOptions());
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
        DecoderHold hold = new DecoderHold(decoder, lease);
        task.addTaskCompletionListener((TaskCompletionListener) context -> hold.close());

        String executor = SparkEnv.get().executorId();
        OutputRows outputs = new OutputRows(layout.keptCount(), engine.modelName(), engine.headsName().orElse(null),
                config.mode().wireName(), executor, logprobsColumn);
        RowRequests requests = new RowRequests(config, layout, engine.tokenizer(), engine.contextLength());
        PartitionMeter meter = new PartitionMeter(task.partitionId(), executor, progress,
                ExecutorNumerics.of(engine));
        return new ContinuousBatcher(rows, decoder, requests, outputs, meter, () -> {
            if (Boolean.getBoolean(FAIL_FIRST_ATTEMPT) && task.attemptNumber() == 0) {
                throw new IllegalStateException("injected fault (" + FAIL_FIRST_ATTEMPT + "): first attempt of task "
                        + task.taskAttemptId() + " fails after generating its rows");
            }
            if (Integer.getInteger(FAIL_PARTITION, -1) == task.partitionId()) {
                throw new IllegalStateException("injected fault (" + FAIL_PARTITION + "): task for partition "
                        + task.partitionId() + " fails");
            }
            meter.finish(decoder.passLedger());
            hold.close();
        });
    }

    /**
     * A partition's decoder and engine lease, given back once its rows are done, else (a limit, a failure) when the
     * task ends. A task may compute several partitions (a coalesce after the transform, to write fewer files): each
     * kept its decoder, with pass buffers of up to 256 MiB of logits, and its lease (so a superseded engine's
     * weights) until the task ended. The task's listener holds this, not the decoder, so a closed one can be freed.
     */
    private static final class DecoderHold {
        private BatchDecoder decoder;
        private ModelRegistry.Lease lease;

        DecoderHold(BatchDecoder decoder, ModelRegistry.Lease lease) {
            this.decoder = decoder;
            this.lease = lease;
        }

        /** Synchronized: the thread reading the rows (a Python runner's writer, in Spark 3) may not be the task's. */
        synchronized void close() {
            if (decoder == null) {
                return;
            }
            try {
                decoder.close();
            } finally {
                lease.close(); // after the decoder: a superseded engine closes once no task decodes with it
                decoder = null;
                lease = null;
            }
        }
    }
}
