package dev.stride.job.cluster;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.stride.job.config.JobConfig;
import dev.stride.job.io.JobSchema;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The automatic split of the work rows into tasks (without {@code --partitions}): every executor core gets work and
 * no task is much longer than the others.
 *
 * <p>Each row's work is estimated as its prompt length in characters / 4 (a cheap stand-in for prompt tokens: the
 * driver does not load the tokenizer) plus its max new tokens. Rows are numbered in a stable order (input partition,
 * then id within it; both are functions of the input alone, so a recomputed partition gets the same numbers), and
 * task t receives the consecutive rows whose work midpoint falls in the t-th equal share of the total work. Each task
 * sees its rows in that order.
 *
 * <p>The number of tasks is {@value #TASKS_PER_SLOT} per task slot (cores / {@code spark.task.cpus}), so that a slow
 * task or executor does not hold up the run, but no more than one full batch ({@code --max-batch}) of rows per task
 * allows, and never fewer than the slots (while there are rows). Completions do not depend on the split.
 */
public final class TaskSpread {

    private static final Logger LOG = LoggerFactory.getLogger(TaskSpread.class);

    static final int TASKS_PER_SLOT = 3;
    /** Characters per token assumed for the work estimate. */
    static final int CHARS_PER_TOKEN = 4;
    private static final String WEIGHT = JobSchema.RESERVED_PREFIX + "work";
    /** Bits of a shuffle key that hold the row number; the task index sits above them. */
    private static final int SEQUENCE_BITS = 40;

    private TaskSpread() {
    }

    /** The work rows spread over {@code tasks} tasks (0 when there are no rows; the rows are then unchanged). */
    public record Spread(Dataset<Row> rows, long rowCount, long work, int slots, int tasks) {
    }

    /** The work rows spread over tasks; rows keep their schema. */
    public static Spread spread(SparkSession spark, Dataset<Row> rows, String promptColumn, boolean messages,
                               JobConfig config) {
        Dataset<Row> weighted = rows.withColumn(WEIGHT, work(rows.schema(), promptColumn, messages,
                config.maxNewTokens())).sortWithinPartitions(JobSchema.ID);
        StructType schema = weighted.schema();
        int weightIndex = schema.fieldIndex(WEIGHT);
        JavaRDD<Row> base = weighted.javaRDD();

        // One cheap pass: rows and work per input partition, in partition order.
        List<long[]> sizes = new ArrayList<>(base.mapPartitionsWithIndex((index, it) -> {
            long count = 0;
            long work = 0;
            while (it.hasNext()) {
                work += it.next().getLong(weightIndex);
                count++;
            }
            return List.of(new long[] {index, count, work}).iterator();
        }, true).collect());
        sizes.sort((a, b) -> Long.compare(a[0], b[0]));
        long[] rowOffset = new long[sizes.size()];
        long[] workOffset = new long[sizes.size()];
        long totalRows = 0;
        long totalWork = 0;
        for (long[] size : sizes) {
            rowOffset[(int) size[0]] = totalRows;
            workOffset[(int) size[0]] = totalWork;
            totalRows += size[1];
            totalWork += size[2];
        }
        int slots = slots(spark.sparkContext());
        int tasks = tasks(totalRows, slots, config.maxBatch());
        LOG.info("Spreading {} rows (estimated work {} tokens) over {} tasks for {} task slots", totalRows, totalWork,
                tasks, slots);
        if (tasks == 0) {
            return new Spread(rows, 0, 0, slots, 0);
        }
        long workTotal = totalWork;
        JavaPairRDD<Long, Row> keyed = JavaPairRDD.fromJavaRDD(base.mapPartitionsWithIndex((index, it) -> {
            long sequence = rowOffset[index];
            long before = workOffset[index];
            List<Tuple2<Long, Row>> out = new ArrayList<>();
            while (it.hasNext()) {
                Row row = it.next();
                long work = row.getLong(weightIndex);
                int task = task(before, work, workTotal, tasks);
                out.add(new Tuple2<>(((long) task << SEQUENCE_BITS) | sequence, row));
                sequence++;
                before += work;
            }
            return out.iterator();
        }, true));
        JavaRDD<Row> spread = keyed.repartitionAndSortWithinPartitions(new TaskPartitioner(tasks)).values();
        return new Spread(spark.createDataFrame(spread, schema).drop(WEIGHT), totalRows, totalWork, slots, tasks);
    }

    /**
     * Estimated work of a row: prompt characters / 4 (rounded up) + its max new tokens when valid (at least 1 in
     * all).
     */
    private static Column work(StructType schema, String promptColumn, boolean messages, int maxNewTokens) {
        Column chars = coalesce(length(col(quote(promptColumn))).cast("long"), lit(0L));
        if (messages) {
            chars = chars.plus(coalesce(expr("aggregate(`" + JobSchema.MESSAGES + "`, 0L, "
                    + "(total, m) -> total + coalesce(length(m.content), 0))"), lit(0L)));
        }
        Column newTokens = lit((long) maxNewTokens);
        if (List.of(schema.fieldNames()).subList(1, schema.size()).contains(JobSchema.MAX_NEW_TOKENS)) {
            newTokens = coalesce(col(quote(JobSchema.MAX_NEW_TOKENS)), newTokens);
        }
        // A value outside 0..Integer.MAX_VALUE fails its row (invalid_override) before any decoding; counting it
        // as 0 also keeps a huge one from overflowing the sum, which under ANSI SQL failed the whole run. It is
        // compared before the cast: a decimal(38,0) beyond a long failed the cast, and the run, likewise.
        newTokens = when(newTokens.between(0L, (long) Integer.MAX_VALUE), newTokens.cast("long")).otherwise(lit(0L));
        return greatest(chars.plus(lit(CHARS_PER_TOKEN - 1)).divide(lit(CHARS_PER_TOKEN)).cast("long")
                .plus(newTokens), lit(1L));
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** Task of a row whose work starts after {@code before} of {@code total}: where its midpoint falls. */
    static int task(long before, long work, long total, int tasks) {
        double midpoint = before + work / 2.0;
        return (int) Math.min(tasks - 1, Math.max(0, (long) Math.floor(midpoint * tasks / total)));
    }

    /** How many tasks for this many rows. */
    static int tasks(long rows, int slots, int maxBatch) {
        if (rows <= 0) {
            return 0;
        }
        long fullBatches = (rows + maxBatch - 1) / maxBatch;
        long tasks = Math.max(Math.min((long) TASKS_PER_SLOT * slots, fullBatches), Math.min(slots, rows));
        return (int) Math.min(tasks, 1 << 20);
    }

    /**
     * Tasks that can run at once: {@code spark.default.parallelism} when set, else the executors' cores (those
     * registered, or those configured when more: {@code spark.executor.instances} or the dynamic allocation maximum,
     * times {@code spark.executor.cores}) divided by {@code spark.task.cpus}.
     */
    static int slots(SparkContext context) {
        SparkConf conf = context.getConf();
        if (conf.contains("spark.default.parallelism")) {
            return Math.max(1, conf.getInt("spark.default.parallelism", 1));
        }
        long cores = context.defaultParallelism();
        int perExecutor = conf.getInt("spark.executor.cores", 0);
        if (!context.isLocal() && perExecutor > 0) {
            long executors = conf.getBoolean("spark.dynamicAllocation.enabled", false)
                    ? conf.getInt("spark.dynamicAllocation.maxExecutors", Integer.MAX_VALUE)
                    : conf.getInt("spark.executor.instances", 0);
            if (executors < Integer.MAX_VALUE) {
                cores = Math.max(cores, executors * perExecutor);
            }
        }
        int taskCpus = Math.max(1, conf.getInt("spark.task.cpus", 1));
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, cores / taskCpus));
    }

    /** Sends a shuffle key to the task in its upper bits. */
    static final class TaskPartitioner extends Partitioner {

        private static final long serialVersionUID = 1L;
        private final int tasks;

        TaskPartitioner(int tasks) {
            this.tasks = tasks;
        }

        @Override
        public int numPartitions() {
            return tasks;
        }

        @Override
        public int getPartition(Object key) {
            return (int) ((Long) key >>> SEQUENCE_BITS);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TaskPartitioner partitioner && partitioner.tasks == tasks;
        }

        @Override
        public int hashCode() {
            return tasks;
        }
    }
}
