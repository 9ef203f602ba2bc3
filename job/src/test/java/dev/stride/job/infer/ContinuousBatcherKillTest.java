package dev.stride.job.infer;

import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunCommand;
import dev.stride.job.cluster.ExecutorNumerics;
import dev.stride.job.cluster.JobProgress;
import dev.stride.job.cluster.PartitionMeter;
import dev.stride.job.cluster.ProgressCounts;
import dev.stride.job.config.JobConfig;
import dev.stride.job.io.OutputRows;
import dev.stride.job.io.RowLayout;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskContext$;
import org.apache.spark.TaskKilledException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task Spark kills (a cancelled job, a losing speculative attempt) stops at the decoder's next step: Spark only
 * marks the task and waits for it to look, and the partition's input, which looks, is read a batch of rows at a time.
 */
class ContinuousBatcherKillTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[1]");

    private static final StructType WORK = new StructType().add("id", StringType).add("prompt", StringType);
    private static final int ROWS = 40;

    /**
     * The kill arrives as the first batch of rows is read. Before, the rows waiting for a decoder slot were all
     * generated first (the input was next read when none was left): 15 rows of 64 tokens after the kill.
     */
    @Test
    void aKillWhileRowsWaitForTheDecoderStopsAtTheNextStep() {
        JobConfig config = RunCommand.parse("--output", "out", "--model", JobRuns.FIXTURE.toString(), "--mode", "ar",
                "--max-batch", "2", "--max-new-tokens", "64");
        RowLayout layout = RowLayout.of(WORK, 1, "prompt");
        TaskContext task = TaskContext$.MODULE$.empty();
        TaskContext$.MODULE$.setTaskContext(task);
        try (Engine engine = Engine.load(EngineOptions.cpu(JobRuns.FIXTURE, null));
             BatchDecoder decoder = engine.newDecoder(config.decoderOptions())) {
            Iterator<Row> input = new Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    task.killTaskIfInterrupted(); // as Spark's scans and InterruptibleIterator do
                    return next < ROWS;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    if (next == ContinuousBatcher.ROW_BATCH - 1) {
                        task.markInterrupted("cancelled"); // arrives while the first rows are being generated
                    }
                    return new GenericRowWithSchema(new Object[] {"r" + next, "Row " + next++ + " says"}, WORK);
                }
            };
            JobProgress progress = JobProgress.register(SPARK.session().sparkContext());
            PartitionMeter meter = new PartitionMeter(0, "driver", progress, ExecutorNumerics.of(engine));
            ContinuousBatcher rows = new ContinuousBatcher(input, decoder,
                    new RowRequests(config, layout, engine.tokenizer(), engine.contextLength()),
                    new OutputRows(layout.keptCount(), engine.modelName(), null, "ar", "driver", false), meter,
                    () -> { });
            TaskKilledException killed = assertThrows(TaskKilledException.class, rows::hasNext);
            assertEquals("cancelled", killed.reason());
            assertEquals(0, ProgressCounts.rows(progress), "rows generated after the kill");
        } finally {
            TaskContext$.MODULE$.unset();
        }
    }
}
