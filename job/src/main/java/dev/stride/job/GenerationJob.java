package dev.stride.job;

import dev.stride.decoder.engine.PassLedger;
import dev.stride.job.cluster.ExecutorListener;
import dev.stride.job.cluster.ExecutorNumerics;
import dev.stride.job.cluster.ExecutorTime;
import dev.stride.job.cluster.JobProgress;
import dev.stride.job.cluster.TaskSpread;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.config.OptionNames;
import dev.stride.job.infer.ModelInfo;
import dev.stride.job.infer.ModelSource;
import dev.stride.job.io.InputIds;
import dev.stride.job.io.InputTable;
import dev.stride.job.io.JobSchema;
import dev.stride.job.io.OutputDirectory;
import dev.stride.job.io.OutputLock;
import dev.stride.job.io.StagedOutput;
import dev.stride.job.ml.StrideGenerator;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One generation run: check the input, generate every row not yet in the output with {@link StrideGenerator}, write it
 * and the summary.
 */
public final class GenerationJob {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationJob.class);

    private GenerationJob() {
    }

    public static RunSummary run(SparkSession spark, JobConfig requested) {
        Instant started = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        ExecutorListener executorListener = ExecutorListener.register(spark.sparkContext());
        try {
            return run(spark, requested, started, executorListener);
        } finally {
            executorListener.close();
        }
    }

    private static RunSummary run(SparkSession spark, JobConfig requested, Instant started,
                                  ExecutorListener executorListener) {
        JobConfig config = ModelSource.check(spark, requested, OptionNames.CLI);
        String runId = started.truncatedTo(ChronoUnit.SECONDS) + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
        OutputDirectory output = new OutputDirectory(spark, config.output());
        boolean resuming = output.exists();
        try (OutputLock lock = OutputLock.acquire(spark.sparkContext().hadoopConfiguration(), config.output(), runId,
                spark.sparkContext().applicationId())) {
            if (resuming && !config.resume()) {
                throw new JobSetupException("output " + config.output() + " already exists; pass --resume to finish "
                        + "that run, or choose another --output");
            }
            return generate(spark, config, runId, output, resuming, lock, started, executorListener);
        }
    }

    private static RunSummary generate(SparkSession spark, JobConfig config, String runId, OutputDirectory output,
                                       boolean resuming, OutputLock lock, Instant started,
                                       ExecutorListener executorListener) {
        Dataset<Row> input = readInput(spark, config.input());
        JobSchema.InputColumns columns = JobSchema.validate(input.schema(), config);
        StructType outputSchema = JobSchema.output(columns.kept(), columns.logprobs());
        StagedOutput staged = new StagedOutput(spark, config.output());
        if (resuming) {
            requireSameColumns(output, staged, outputSchema, config);
        }

        InputIds.Identified identified = InputIds.identify(spark, input, columns.idColumn(), config);
        InputTable.WorkRows work = InputTable.shape(identified.rows(), columns, config);
        Dataset<Row> rows = work.rows();
        if (resuming) {
            staged.adoptLeftovers(outputSchema);
            rows = rows.join(output.rows(outputSchema).select(JobSchema.ID), JobSchema.ID, "left_anti");
        }
        // --partitions N is the user's split; otherwise rows are spread by estimated work over every task slot
        // (also after the anti-join of a resume, which may shuffle into few coalesced partitions).
        long rowsToDo;
        if (config.partitions() > 0) {
            // The count and the generation read one computation of the split rows (Spark keeps its shuffle files):
            // counting the Dataset ran its plan once more, a scan of the input, and on a resume or with --dedupe
            // first also the anti-join with the output's ids or the window over every input row.
            JavaRDD<Row> split = rows.repartition(config.partitions()).javaRDD();
            rowsToDo = split.count();
            rows = spark.createDataFrame(split, rows.schema());
        } else {
            TaskSpread.Spread spread = TaskSpread.spread(spark, rows, config.promptColumn(), columns.messages(),
                    config);
            rows = spread.rows();
            rowsToDo = spread.rowCount();
        }

        SparkContext context = spark.sparkContext();
        ModelInfo model = ModelInfo.probe(JavaSparkContext.fromSparkContext(context), config);
        JobProgress progress = JobProgress.register(context);
        context.setJobDescription("stride: generate " + config.input() + " into " + config.output());
        // The work rows (id, kept columns, then what generation reads) through the DataFrame API, then the
        // output's columns, staged and published once checked.
        Dataset<Row> generated = StrideGenerator.of(config).setIdColumn(JobSchema.ID).generate(rows, progress);
        Path staging = staged.write(generated.select(Arrays.stream(outputSchema.fieldNames())
                .map(InputTable::column).toArray(Column[]::new)));
        lock.requireHeld();
        staged.publish(staging, outputSchema, rowsToDo);
        context.setJobDescription("stride: summary");
        Instant finished = Instant.now().truncatedTo(ChronoUnit.MILLIS);

        RunSummary summary = summarize(spark, config, runId, model, started, finished,
                OutputStatistics.of(output.rows(outputSchema)), identified.duplicatesDropped(),
                progress.partitionReports(),
                executorListener.finish(started.toEpochMilli(), finished.toEpochMilli()),
                executorListener.coresPerExecutor());
        output.writeSummary(summary);
        summary.warnings().forEach(warning -> LOG.warn("WARNING: {}", warning));
        context.setJobDescription(null);
        return summary;
    }

    /**
     * A resumed run appends part files: the columns of those published so far, and of those a run that died left
     * staged, must be this run's, names and types (a reader would otherwise see one file's schema, or fail to read
     * or merge them). An output without part files yet takes any.
     */
    private static void requireSameColumns(OutputDirectory output, StagedOutput staged, StructType outputSchema,
                                           JobConfig config) {
        List<String> wanted = JobSchema.describe(outputSchema);
        Set<List<String>> found = new LinkedHashSet<>();
        output.existingColumns().ifPresent(found::add);
        found.addAll(staged.leftoverColumns());
        for (List<String> existing : found) {
            if (!existing.equals(wanted)) {
                throw new JobSetupException("output " + config.output() + " has the columns " + existing
                        + " (published or staged by a run that stopped) but this run would write " + wanted
                        + "; resume with the options of the run that wrote it (--keep-columns, --logprobs, the "
                        + "input's logprobs column) and its input's column types");
            }
        }
    }

    private static Dataset<Row> readInput(SparkSession spark, String location) {
        try {
            // Every file's columns: Spark otherwise takes one file's, and a column that only other files have (an
            // override, a column to keep) was dropped from all rows.
            return spark.read().option("mergeSchema", true).parquet(location);
        } catch (Exception e) {
            // Scala does not declare AnalysisException (path not found, no Parquet there) or SparkException (files
            // whose columns cannot be merged: a column INT in one, BIGINT in another), so javac cannot catch them.
            if (e instanceof AnalysisException || e instanceof SparkException) {
                throw new JobSetupException("cannot read input " + location + ": " + e.getMessage());
            }
            throw e;
        }
    }

    private static RunSummary summarize(SparkSession spark, JobConfig config, String runId, ModelInfo model,
                                        Instant started, Instant finished, OutputStatistics stats,
                                        long duplicatesDropped,
                                        List<JobProgress.PartitionReport> reports, ExecutorTime.Totals time,
                                        int coresPerExecutor) {
        double wallSeconds = Duration.between(started, finished).toMillis() / 1000.0;
        long tokensThisRun = reports.stream().mapToLong(JobProgress.PartitionReport::completionTokens).sum();
        PassLedger passes = new PassLedger(); // this run's: earlier runs' rows of a resumed output left none
        reports.forEach(report -> passes.add(report.passes()));
        Double passCostRatio = model.passCostRatio(passes, stats.meanTokensPerPass());
        SparkContext context = spark.sparkContext();
        SparkConf conf = context.getConf();
        int executors = (int) reports.stream().map(JobProgress.PartitionReport::executor).distinct().count();
        return new RunSummary(runId, StrideVersion.get(), spark.version(),
                started.truncatedTo(ChronoUnit.SECONDS).toString(),
                finished.truncatedTo(ChronoUnit.SECONDS).toString(), wallSeconds,
                config.input(), config.output(),
                new RunSummary.ModelSummary(model.name(), model.path(), model.parameters(), model.weightBytes(),
                        model.dtype(), model.weightLayout()),
                model.headsName() == null ? null : new RunSummary.HeadsSummary(model.headsName(), model.headsPath(),
                        model.numHeads(), model.headLayers(), model.draftTokens()),
                config.mode().wireName(), config.tree(), config.device(),
                executors, coresPerExecutor, conf.getInt("spark.executor.resource.gpu.amount", 0),
                time.aliveSeconds(), time.busySeconds(), time.utilisation(),
                stats.rows(), stats.rows() - stats.failedRows(), stats.failedRows(), duplicatesDropped, stats.failed(),
                stats.errorsByKind(), stats.promptTokens(), stats.completionTokens(), stats.forwardPasses(),
                stats.decodePasses(), wallSeconds == 0 ? 0.0 : tokensThisRun / wallSeconds,
                stats.meanTokensPerPass(), stats.acceptHistogram(), passCostRatio,
                RunSummary.ExecutorSummary.of(reports, time), ExecutorNumerics.warnings(reports.stream()
                        .map(r -> Map.entry(r.executor(), r.numerics())).toList()), settings(config));
    }

    private static Map<String, Object> settings(JobConfig config) {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("max_new_tokens", config.maxNewTokens());
        settings.put("max_batch", config.maxBatch());
        settings.put("seed", config.seed());
        settings.put("temperature", config.temperature());
        settings.put("top_k", config.topK());
        settings.put("top_p", config.topP());
        settings.put("stop", config.stop());
        settings.put("logprobs", config.logprobs() == JobConfig.NO_LOGPROBS ? null : config.logprobs());
        settings.put("threads", config.threads());
        settings.put("partitions", config.partitions());
        settings.put("prompt_column", config.promptColumn());
        settings.put("id_column", config.idColumn());
        settings.put("keep_columns", config.keepColumns());
        settings.put("chat", config.chat());
        settings.put("resume", config.resume());
        settings.put("dedupe", config.dedupeFirst() ? "first" : null);
        return settings;
    }
}
