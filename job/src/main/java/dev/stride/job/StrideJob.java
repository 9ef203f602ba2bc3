package dev.stride.job;

import dev.stride.job.report.ReportCommand;
import java.util.Set;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Entry point for spark-submit and bin/stride-job: {@code run} (the default when options come first) and {@code report}. */
@Command(name = "stride-job", mixinStandardHelpOptions = true, versionProvider = StrideVersion.class,
        description = "Bulk LLM generation over Parquet prompt sets with Spark.",
        subcommands = {RunCommand.class, ReportCommand.class})
public final class StrideJob implements Runnable {

    private static final Set<String> TOP_LEVEL_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int execute(String... args) {
        return new CommandLine(new StrideJob()).execute(withDefaultSubcommand(args));
    }

    private static String[] withDefaultSubcommand(String[] args) {
        if (args.length == 0 || args[0].startsWith("-") && !TOP_LEVEL_OPTIONS.contains(args[0])) {
            return Stream.concat(Stream.of("run"), Stream.of(args)).toArray(String[]::new);
        }
        return args;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand");
    }
}
