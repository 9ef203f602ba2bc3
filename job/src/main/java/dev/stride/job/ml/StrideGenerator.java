package dev.stride.job.ml;

import static org.apache.spark.sql.functions.col;

import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.job.cluster.JobProgress;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.config.OptionNames;
import dev.stride.job.infer.ModelSource;
import dev.stride.job.infer.PartitionGenerator;
import dev.stride.job.io.InputTable;
import dev.stride.job.io.JobSchema;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Stride as a Spark ML {@link Transformer}: {@code transform(df)} returns the input's columns followed by a completion
 * for every row and the other result columns of the job's output contract (docs/job-output.md), with the same
 * per-row override columns ({@code max_new_tokens}, {@code temperature}, {@code stop}, ...), the same error rows and
 * the same bits as a {@code stride-job run} over the same rows. Each partition is generated with continuous batching;
 * each executor JVM loads the engine once. Saved and loaded with a {@code PipelineModel} (or on its own) by its
 * params. The params start from the command line's defaults.
 */
public final class StrideGenerator extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** The work rows' id: the id column as string, the seed of rows without one of their own. */
    private static final String WORK_ID = "__stride_id";

    private final String uid;
    private final Param<String> model;
    private final Param<String> heads;
    private final Param<String> device;
    private final Param<String> weights;
    private final Param<String> mode;
    private final Param<String> tree;
    private final IntParam maxNewTokens;
    private final FloatParam temperature;
    private final IntParam topK;
    private final FloatParam topP;
    private final LongParam seed;
    private final StringArrayParam stop;
    private final IntParam logprobs;
    private final IntParam maxBatch;
    private final IntParam threads;
    private final BooleanParam chat;
    private final Param<String> promptColumn;
    private final Param<String> idColumn;
    private final Param<String> outputPrefix;

    public StrideGenerator() {
        this(Identifiable$.MODULE$.randomUID("strideGenerator"));
    }

    /** For Spark ML's copy and load, which construct a stage by its uid. */
    public StrideGenerator(String uid) {
        this.uid = uid;
        model = new Param<>(this, "model", "model directory: a path every executor can read, a Hadoop URI (copied "
                + "once per executor) or a name shipped with --archives");
        heads = new Param<>(this, "heads", "prediction heads directory, given like model (optional)");
        device = new Param<>(this, "device", "cpu, auto or cuda[:N]; auto and cuda use the GPU Spark assigned to "
                + "the task, if any");
        weights = new Param<>(this, "weights", "how executors hold the weights: auto, packed, streamed, q8 or "
                + "q8-keep-head (optional; default: -Dstride.weights on the executors, else auto)");
        mode = new Param<>(this, "mode", "ar or mtp (default: mtp with heads, else ar)");
        tree = new Param<>(this, "tree", "candidate tree for mtp: auto, static, chain:K, nodes:N or file:PATH");
        maxNewTokens = new IntParam(this, "maxNewTokens", "tokens to generate per row");
        temperature = new FloatParam(this, "temperature", "sampling temperature; 0 is greedy");
        topK = new IntParam(this, "topK", "keep the K most likely tokens; 0 keeps all");
        topP = new FloatParam(this, "topP", "nucleus mass in (0, 1]");
        seed = new LongParam(this, "seed", "seed; rows without a seed column value derive theirs from it and their "
                + "id");
        stop = new StringArrayParam(this, "stop", "stop strings of rows without a stop column value");
        logprobs = new IntParam(this, "logprobs", "report each completion token's log-probability and its N most "
                + "likely alternatives (0 to " + GenerationRequest.MAX_LOGPROBS + ") in a logprobs column; -1: off");
        maxBatch = new IntParam(this, "maxBatch", "sequences in flight per task");
        threads = new IntParam(this, "threads", "engine threads per executor; 0: spark.task.cpus when set, else "
                + "the cores");
        chat = new BooleanParam(this, "chat", "render prompts (or the messages column) with the model's chat "
                + "template");
        promptColumn = new Param<>(this, "promptColumn", "prompt column (string)");
        idColumn = new Param<>(this, "idColumn", "id column (string or integer), from which rows without a seed "
                + "derive theirs");
        outputPrefix = new Param<>(this, "outputPrefix", "prefix of the output column names");

        setDefault(device, JobConfig.DEFAULT_DEVICE);
        setDefault(tree, DecoderOptions.DEFAULT_TREE);
        setDefault(maxNewTokens, GenerationRequest.DEFAULT_MAX_NEW_TOKENS);
        setDefault(temperature, SamplingParams.DEFAULT_TEMPERATURE);
        setDefault(topK, SamplingParams.DEFAULT_TOP_K);
        setDefault(topP, SamplingParams.DEFAULT_TOP_P);
        setDefault(seed, SamplingParams.DEFAULT_SEED);
        setDefault(stop, new String[0]);
        setDefault(logprobs, JobConfig.NO_LOGPROBS);
        setDefault(maxBatch, DecoderOptions.DEFAULT_MAX_BATCH);
        setDefault(threads, 0);
        setDefault(chat, false);
        setDefault(promptColumn, JobConfig.DEFAULT_PROMPT_COLUMN);
        setDefault(idColumn, JobSchema.ID);
        setDefault(outputPrefix, "");
    }

    /** A generator with a run's generation settings (its input, output and partitioning stay the run's). */
    public static StrideGenerator of(JobConfig config) {
        StrideGenerator generator = new StrideGenerator()
                .setModel(config.model()).setHeads(config.heads()).setDevice(config.device()).setWeights(config.weights())
                .setMode(config.mode().wireName()).setTree(config.tree()).setMaxNewTokens(config.maxNewTokens())
                .setTemperature(config.temperature()).setTopK(config.topK()).setTopP(config.topP())
                .setSeed(config.seed()).setStop(config.stop().toArray(String[]::new)).setLogprobs(config.logprobs())
                .setMaxBatch(config.maxBatch()).setThreads(config.threads()).setChat(config.chat())
                .setPromptColumn(config.promptColumn());
        return config.idColumn() == null ? generator : generator.setIdColumn(config.idColumn());
    }

    public static MLReader<StrideGenerator> read() {
        return new DefaultParamsReader<>();
    }

    public static StrideGenerator load(String path) {
        return read().load(path);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        return generate(dataset, JobProgress.countersOnly(dataset.sparkSession().sparkContext()));
    }

    /** {@link #transform}, counting rows, tokens and partitions into {@code progress} (a run's summary). */
    public Dataset<Row> generate(Dataset<?> dataset, JobProgress progress) {
        JobConfig config;
        try {
            config = ModelSource.check(dataset.sparkSession(), config(), OptionNames.PARAMS);
        } catch (JobSetupException e) {
            throw new IllegalArgumentException("StrideGenerator: " + e.getMessage(), e);
        }
        JobSchema.InputColumns columns = JobSchema.validateFrame(dataset.schema(), config, getOutputPrefix(),
                WORK_ID);
        InputTable.WorkRows work = InputTable.shape(dataset.toDF(), columns, config.promptColumn(),
                InputTable.column(config.idColumn()).cast("string").as(WORK_ID));
        StructType generated = generatedSchema(columns);
        Dataset<Row> rows = work.rows()
                .mapPartitions(new PartitionGenerator(config, work.layout(), progress, columns.logprobs()),
                        Encoders.row(generated))
                .drop(col(WORK_ID));
        return withMetadata(rows, withoutWorkId(generated));
    }

    /**
     * Puts the columns' metadata back: the row encoder of mapPartitions drops it, and with it the ML attributes that
     * stages after this one read (VectorAssembler's, StringIndexer's labels). A struct's fields lose theirs too; a
     * cast to the type that has them (the same shape) restores them.
     */
    private static Dataset<Row> withMetadata(Dataset<Row> rows, StructType schema) {
        return rows.select(Arrays.stream(schema.fields()).map(field -> {
            Column column = InputTable.column(field.name());
            if (!rows.schema().apply(field.name()).dataType().equals(field.dataType())) {
                column = column.cast(field.dataType());
            }
            return column.as(field.name(), field.metadata());
        }).toArray(Column[]::new));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return withoutWorkId(generatedSchema(JobSchema.validateFrame(schema, config(), getOutputPrefix(), WORK_ID)));
    }

    private static StructType withoutWorkId(StructType generated) {
        return new StructType(Arrays.copyOfRange(generated.fields(), 1, generated.size()));
    }

    /** The rows the partition function writes: the work id (null for rows without an id), then the output. */
    private StructType generatedSchema(JobSchema.InputColumns columns) {
        StructField[] fields = JobSchema.output(WORK_ID, columns.kept(), getOutputPrefix(), columns.logprobs())
                .fields();
        fields[0] = new StructField(WORK_ID, fields[0].dataType(), true, fields[0].metadata());
        return new StructType(fields);
    }

    /** The params as the job's config; bad values are an IllegalArgumentException naming the param. */
    JobConfig config() {
        if (getModel() == null || getModel().isBlank()) {
            throw new IllegalArgumentException("StrideGenerator: set the model param (a model directory)");
        }
        // copy(extra) (transform(df, paramMap), Pipeline.fit(df, paramMap)), Scala's set and a saved stage's JSON
        // give values the setters did not check. Of the optional params, null is unset.
        for (Param<?> param : params()) {
            if (!optional().contains(param) && isDefined(param) && getOrDefault(param) == null) {
                throw nullParam(param);
            }
        }
        checkStopStrings(getStop());
        try {
            String headsDir = getHeads();
            JobConfig config = new JobConfig(null, null, getModel(), headsDir,
                    DecodingMode.resolve(getMode(), headsDir != null), getTree(), getMaxNewTokens(), getTemperature(),
                    getTopK(), getTopP(), getSeed(), List.of(getStop()), getLogprobs(), getMaxBatch(), getThreads(),
                    getDevice(), getPromptColumn(), getIdColumn(), null, false, 0, getChat(), false, getWeights());
            config.check(OptionNames.PARAMS);
            return config;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("StrideGenerator: " + e.getMessage(), e);
        }
    }

    /** The params that may be unset (and are, where copy(extra) or set gave them null). */
    private List<Param<?>> optional() {
        return List.of(model, heads, weights, mode);
    }

    @Override
    public StrideGenerator copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /**
     * Saves the params, an optional one given as null (by copy(extra) or set, past the setters) as unset: Spark
     * encodes a null value with a bare NullPointerException, so such a stage, which transforms, could not be saved.
     */
    @Override
    public MLWriter write() {
        StrideGenerator saved = copy(ParamMap.empty());
        for (Param<?> param : params()) {
            if (saved.isSet(param) && saved.getOrDefault(param) == null) {
                if (!optional().contains(param)) {
                    throw nullParam(param);
                }
                saved.clear(param);
            }
        }
        return new DefaultParamsWriter(saved);
    }

    /** As Spark explains a param, but with the stop strings: Spark wrote arrays as [Ljava.lang.String;@1f4d9c7f. */
    @Override
    public String explainParam(Param<?> param) {
        if (!param.parent().equals(uid) || !param.name().equals(stop.name())) {
            return super.explainParam(param);
        }
        List<String> values = new ArrayList<>();
        if (hasDefault(stop)) {
            values.add("default: " + stopStrings(getDefault(stop).get()));
        }
        if (isSet(stop)) {
            values.add("current: " + stopStrings(get(stop).get()));
        }
        return stop.name() + ": " + stop.doc() + " (" + (values.isEmpty() ? "undefined" : String.join(", ", values))
                + ")";
    }

    /** The strings as JSON, escaped as saved ("\n"); null where copy(extra) or set gave null. */
    private String stopStrings(String[] values) {
        return values == null ? "null" : stop.jsonEncode(values);
    }

    public Param<String> model() {
        return model;
    }

    public Param<String> heads() {
        return heads;
    }

    public Param<String> device() {
        return device;
    }

    public Param<String> weights() {
        return weights;
    }

    public Param<String> mode() {
        return mode;
    }

    public Param<String> tree() {
        return tree;
    }

    public IntParam maxNewTokens() {
        return maxNewTokens;
    }

    public FloatParam temperature() {
        return temperature;
    }

    public IntParam topK() {
        return topK;
    }

    public FloatParam topP() {
        return topP;
    }

    public LongParam seed() {
        return seed;
    }

    public StringArrayParam stop() {
        return stop;
    }

    public IntParam logprobs() {
        return logprobs;
    }

    public IntParam maxBatch() {
        return maxBatch;
    }

    public IntParam threads() {
        return threads;
    }

    public BooleanParam chat() {
        return chat;
    }

    public Param<String> promptColumn() {
        return promptColumn;
    }

    public Param<String> idColumn() {
        return idColumn;
    }

    public Param<String> outputPrefix() {
        return outputPrefix;
    }

    public String getModel() {
        return isDefined(model) ? getOrDefault(model) : null;
    }

    public String getHeads() {
        return isDefined(heads) ? getOrDefault(heads) : null;
    }

    public String getDevice() {
        return getOrDefault(device);
    }

    /** The weight layout set, or null for the executors' default. */
    public String getWeights() {
        return isDefined(weights) ? getOrDefault(weights) : null;
    }

    /** The decoding mode set, or null: mtp with heads, else ar. */
    public String getMode() {
        return isDefined(mode) ? getOrDefault(mode) : null;
    }

    public String getTree() {
        return getOrDefault(tree);
    }

    public int getMaxNewTokens() {
        return (Integer) getOrDefault(maxNewTokens);
    }

    public float getTemperature() {
        return (Float) getOrDefault(temperature);
    }

    public int getTopK() {
        return (Integer) getOrDefault(topK);
    }

    public float getTopP() {
        return (Float) getOrDefault(topP);
    }

    public long getSeed() {
        return (Long) getOrDefault(seed);
    }

    public String[] getStop() {
        return getOrDefault(stop);
    }

    public int getLogprobs() {
        return (Integer) getOrDefault(logprobs);
    }

    public int getMaxBatch() {
        return (Integer) getOrDefault(maxBatch);
    }

    public int getThreads() {
        return (Integer) getOrDefault(threads);
    }

    public boolean getChat() {
        return (Boolean) getOrDefault(chat);
    }

    public String getPromptColumn() {
        return getOrDefault(promptColumn);
    }

    public String getIdColumn() {
        return getOrDefault(idColumn);
    }

    public String getOutputPrefix() {
        return getOrDefault(outputPrefix);
    }

    public StrideGenerator setModel(String value) {
        return setOrClear(model, value);
    }

    /** Prediction heads for multi-token decoding; null for none. */
    public StrideGenerator setHeads(String value) {
        return setOrClear(heads, value);
    }

    public StrideGenerator setDevice(String value) {
        return with(device, value);
    }

    /** auto, packed, streamed, q8 or q8-keep-head; null for the executors' default. */
    public StrideGenerator setWeights(String value) {
        return setOrClear(weights, value);
    }

    /** ar or mtp; null: mtp with heads, else ar. */
    public StrideGenerator setMode(String value) {
        return setOrClear(mode, value);
    }

    public StrideGenerator setTree(String value) {
        return with(tree, value);
    }

    public StrideGenerator setMaxNewTokens(int value) {
        return with(maxNewTokens, value);
    }

    public StrideGenerator setTemperature(double value) {
        return with(temperature, narrowed(temperature, value));
    }

    public StrideGenerator setTopK(int value) {
        return with(topK, value);
    }

    public StrideGenerator setTopP(double value) {
        return with(topP, narrowed(topP, value));
    }

    public StrideGenerator setSeed(long value) {
        return with(seed, value);
    }

    public StrideGenerator setStop(String... values) {
        if (values != null) {
            checkStopStrings(values);
        }
        return with(stop, values == null ? null : values.clone());
    }

    private static void checkStopStrings(String[] values) {
        if (Arrays.asList(values).contains(null)) {
            throw new IllegalArgumentException("StrideGenerator: stop strings must not be null, got "
                    + Arrays.toString(values));
        }
    }

    /** Alternatives per completion token (0 to 20) in a logprobs column; -1 for none. */
    public StrideGenerator setLogprobs(int value) {
        return with(logprobs, value);
    }

    public StrideGenerator setMaxBatch(int value) {
        return with(maxBatch, value);
    }

    public StrideGenerator setThreads(int value) {
        return with(threads, value);
    }

    public StrideGenerator setChat(boolean value) {
        return with(chat, value);
    }

    public StrideGenerator setPromptColumn(String value) {
        return with(promptColumn, value);
    }

    public StrideGenerator setIdColumn(String value) {
        return with(idColumn, value);
    }

    public StrideGenerator setOutputPrefix(String value) {
        return with(outputPrefix, value);
    }

    /** Sets a param that always has a value (the optional ones go through {@link #setOrClear}). */
    private <T> StrideGenerator with(Param<T> param, T value) {
        if (value == null) {
            throw nullParam(param);
        }
        set(param, value);
        return this;
    }

    /** The param's float, refused where narrowing changes its meaning (1e-50 would be a greedy temperature of 0). */
    private static float narrowed(FloatParam param, double value) {
        try {
            return SamplingParams.narrowed(param.name(), value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("StrideGenerator: " + e.getMessage(), e);
        }
    }

    private static IllegalArgumentException nullParam(Param<?> param) {
        return new IllegalArgumentException("StrideGenerator: " + param.name() + " must not be null");
    }

    private StrideGenerator setOrClear(Param<String> param, String value) {
        if (value == null) {
            clear(param);
            return this;
        }
        return with(param, value);
    }
}
