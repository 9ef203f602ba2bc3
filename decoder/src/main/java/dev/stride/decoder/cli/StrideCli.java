package dev.stride.decoder.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code stride} command line. */
@Command(name = "stride", mixinStandardHelpOptions = true, versionProvider = StrideCli.Version.class,
        description = "Exact multi-token LLM decoding.",
        subcommands = {GenerateCommand.class, BenchCommand.class, TrainHeadsCommand.class, DraftVocabularyCommand.class,
            RandomModelCommand.class, ImportGgufCommand.class, CommandLine.HelpCommand.class})
public final class StrideCli {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; the exit code is 0 on success, 2 for usage errors, 1 for failures. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new StrideCli());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("stride: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return e instanceof UsageException ? CommandLine.ExitCode.USAGE : CommandLine.ExitCode.SOFTWARE;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = StrideCli.class.getPackage().getImplementationVersion();
            return new String[] {"stride " + (version == null ? "dev" : version)};
        }
    }
}
