package dev.stride.job;

import dev.stride.decoder.cli.FloatConverter;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import dev.stride.job.config.OptionNames;
import dev.stride.job.io.OutputDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code stride-job run}: parses the options into a {@link JobConfig}, runs it and prints the summary. Option defaults
 * are the engine's and JobConfig's constants, which StrideGenerator's params start from as well.
 */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = StrideVersion.class, sortOptions = false,
        description = "Generate a completion for every row of a Parquet prompt set.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done (rows that could not be generated are listed in the summary)", "1:the run failed",
            "2:bad arguments", "3:input or output not usable (wrong columns, output already there)"})
public final class RunCommand implements Callable<Integer> {

    static final int EXIT_SETUP = 3;

    private static final String BUNDLED_MODEL = "models/fortunes-llama-2m";
    private static final String BUNDLED_HEADS = "models/fortunes-llama-2m-heads";
    private static final String BUNDLED_PROMPTS = "samples/prompts.parquet";
    private static final String DEFAULT_OUTPUT_ROOT = "stride-out";

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", paramLabel = "PATH",
            description = "Parquet file, directory or glob (default: the bundled " + BUNDLED_PROMPTS + ")")
    private String input;

    @Option(names = "--output", paramLabel = "PATH",
            description = "Output Parquet dataset (default: a new " + DEFAULT_OUTPUT_ROOT + "/<UTC date-time>)")
    private String output;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory: a path (made absolute here), a Hadoop URI (hdfs://, s3a://, file://, "
                    + "...; copied once per executor) or the name it was shipped under with --archives (default: the "
                    + "bundled " + BUNDLED_MODEL + ")")
    private String model;

    @Option(names = "--heads", paramLabel = "DIR",
            description = "Prediction heads directory, given like --model (default: the bundled heads, with the "
                    + "bundled model only)")
    private String heads;

    @Option(names = "--mode", paramLabel = "ar|mtp", description = "Decoding mode (default: mtp with heads, else ar)")
    private String mode;

    @Option(names = "--tree", defaultValue = DecoderOptions.DEFAULT_TREE, paramLabel = "SPEC",
            description = "Candidate tree for mtp: auto, static, chain:K, nodes:N or file:PATH"
                    + " (default: ${DEFAULT-VALUE})")
    private String tree;

    @Option(names = "--max-new-tokens", defaultValue = "" + GenerationRequest.DEFAULT_MAX_NEW_TOKENS, paramLabel = "N",
            description = "Tokens to generate per row (default: ${DEFAULT-VALUE})")
    private int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "" + SamplingParams.DEFAULT_TEMPERATURE, paramLabel = "T",
            converter = FloatConverter.class,
            description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE})")
    private float temperature;

    @Option(names = "--top-k", defaultValue = "" + SamplingParams.DEFAULT_TOP_K, paramLabel = "K",
            description = "Keep the K most likely tokens; 0 keeps all (default: ${DEFAULT-VALUE})")
    private int topK;

    @Option(names = "--top-p", defaultValue = "" + SamplingParams.DEFAULT_TOP_P, paramLabel = "P",
            converter = FloatConverter.class, description = "Nucleus mass in (0, 1] (default: ${DEFAULT-VALUE})")
    private float topP;

    @Option(names = "--seed", defaultValue = "" + SamplingParams.DEFAULT_SEED, paramLabel = "SEED",
            description = "Job seed; rows without a seed column value derive theirs from it and their id "
                    + "(default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop string (repeatable) for rows without a stop column value (default: none)")
    private List<String> stop;

    @Option(names = "--logprobs", defaultValue = "" + JobConfig.NO_LOGPROBS, paramLabel = "N",
            description = "Write each completion token's log-probability and its N most likely alternatives (0 to "
                    + GenerationRequest.MAX_LOGPROBS + ") into a logprobs column (default: off)")
    private int logprobs;

    @Option(names = "--max-batch", defaultValue = "" + DecoderOptions.DEFAULT_MAX_BATCH, paramLabel = "N",
            description = "Sequences in flight per task (default: ${DEFAULT-VALUE}; at most the rows 256 MiB of logits "
                    + "hold: 256 for a 262,144-token vocabulary)")
    private int maxBatch;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "Engine threads per executor (default: spark.task.cpus when set, else the cores)")
    private int threads;

    @Option(names = "--device", defaultValue = JobConfig.DEFAULT_DEVICE, paramLabel = "DEVICE",
            description = "cpu, auto or cuda[:N]; auto and cuda use the GPU Spark assigned to the task, if any "
                    + "(default: ${DEFAULT-VALUE})")
    private String device;

    @Option(names = "--weights", paramLabel = "LAYOUT",
            description = "auto, packed, streamed, q8 (8-bit weights quantized at load: other logits) or q8-keep-head"
                    + " (default: -Dstride.weights on the executors, else auto)")
    private String weights;

    @Option(names = "--prompt-column", defaultValue = JobConfig.DEFAULT_PROMPT_COLUMN, paramLabel = "NAME",
            description = "Prompt column (default: ${DEFAULT-VALUE})")
    private String promptColumn;

    @Option(names = "--id-column", paramLabel = "NAME",
            description = "Id column (default: id when present, else <file>:<row>, the file's path below the input root)")
    private String idColumn;

    @Option(names = "--keep-columns", split = ",", paramLabel = "NAME",
            description = "Input columns copied to the output (default: all)")
    private List<String> keepColumns;

    @Option(names = "--resume", description = "Skip rows already in --output and append the rest")
    private boolean resume;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "Split the rows into N tasks (default: spread by estimated work, three tasks per task "
                    + "slot, i.e. executor cores / spark.task.cpus, but no more tasks than --max-batch batches of "
                    + "rows)")
    private int partitions;

    @Option(names = "--dedupe", paramLabel = "first",
            description = "Keep the first row of each id that names several (input file order, then row order); "
                    + "without it duplicate ids are an error")
    private String dedupe;

    @Option(names = "--chat", description = "Render prompts (or the messages column) with the model's chat template")
    private boolean chat;

    @Override
    public Integer call() {
        JobConfig config = config();
        boolean ownSession = SparkSession.getDefaultSession().isEmpty();
        SparkSession spark = ownSession ? newSession() : SparkSession.getDefaultSession().get();
        try {
            RunSummary summary = GenerationJob.run(spark, config);
            spec.commandLine().getOut().print(SummaryTable.format(summary,
                    new OutputDirectory(spark, config.output()).summaryJsonLocation()));
            spec.commandLine().getOut().flush();
            return 0;
        } catch (JobSetupException e) {
            spec.commandLine().getErr().println("stride-job: " + e.getMessage());
            return EXIT_SETUP;
        } finally {
            if (ownSession) {
                spark.stop();
            }
        }
    }

    /** The run's settings; bad values are usage errors. */
    JobConfig config() {
        Path home = Path.of(System.getProperty("stride.home", "."));
        String modelDir = model != null ? model : home.resolve(BUNDLED_MODEL).toString();
        String headsDir = heads;
        if (heads == null && model == null && Files.isDirectory(home.resolve(BUNDLED_HEADS))) {
            headsDir = home.resolve(BUNDLED_HEADS).toString();
        }
        if (dedupe != null && !dedupe.equals("first")) {
            throw new ParameterException(spec.commandLine(), "--dedupe must be first, got " + dedupe);
        }
        String outputDir = output != null ? output : DEFAULT_OUTPUT_ROOT + "/" + DateTimeFormatter
                .ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(Instant.now());
        try {
            JobConfig config = new JobConfig(input != null ? input : home.resolve(BUNDLED_PROMPTS).toString(),
                    outputDir, modelDir, headsDir, DecodingMode.resolve(mode, headsDir != null), tree, maxNewTokens,
                    temperature, topK, topP, seed, stop, logprobs, maxBatch, threads, device, promptColumn, idColumn,
                    keepColumns, resume, partitions, chat, dedupe != null, weights);
            config.check(OptionNames.CLI);
            return config;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Parses run options into a config without running anything. */
    public static JobConfig parse(String... args) {
        RunCommand command = new RunCommand();
        new CommandLine(command).parseArgs(args);
        return command.config();
    }

    /**
     * spark-submit passes the master as a system property; without one the job runs on an embedded local Spark.
     * Its console progress bar stays off: it redraws in place and runs into the per-partition log lines, which
     * already show progress.
     */
    private static SparkSession newSession() {
        SparkSession.Builder builder = SparkSession.builder().appName("stride-job");
        if (!new SparkConf().contains("spark.master")) {
            builder.master("local[*]").config("spark.ui.showConsoleProgress", "false");
        }
        return builder.getOrCreate();
    }
}
