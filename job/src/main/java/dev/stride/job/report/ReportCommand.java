package dev.stride.job.report;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code stride-job report}: throughput, latency, failures and cost of one or more finished runs. It reads the
 * output Parquet and summary directly, without a Spark session, so it answers in seconds.
 */
@Command(name = "report", sortOptions = false,
        description = "Write report.html, report.md, report.csv and report.json for the output of one or more runs.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:report written", "1:the report could not be written", "2:bad arguments",
            "3:an input is not a finished Stride run (missing directory, summary or columns)"})
public final class ReportCommand implements Callable<Integer> {

    static final int EXIT_WRITE = 1;
    static final int EXIT_INPUT = 3;

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit")
    private boolean help;

    @Option(names = "--input", required = true, paramLabel = "OUT_DIR",
            description = "A run's --output directory; repeat it to report several runs together")
    private List<String> inputs;

    @Option(names = "--gpu-hour-price", defaultValue = "2.50", paramLabel = "USD",
            description = "Price of one GPU-hour (default: ${DEFAULT-VALUE}, an example; pass yours)")
    private double gpuHourPrice;

    @Option(names = "--cpu-hour-price", defaultValue = "0.04", paramLabel = "USD",
            description = "Price of one CPU core-hour (default: ${DEFAULT-VALUE}, an example; pass yours)")
    private double cpuHourPrice;

    @Option(names = "--output", defaultValue = "stride-out/report", paramLabel = "DIR",
            description = "Directory for the report files (default: ${DEFAULT-VALUE})")
    private Path output;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int execute(String... args) {
        return new CommandLine(new ReportCommand()).execute(args);
    }

    @Override
    public Integer call() {
        Prices prices;
        try {
            prices = new Prices(gpuHourPrice, cpuHourPrice);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            RunOutputReader reader = new RunOutputReader();
            RowStats rows = new RowStats();
            List<Run> runs = new ArrayList<>();
            for (String input : inputs) {
                runs.add(reader.read(input, rows));
            }
            CostReport report = CostReport.of(runs, rows, prices);
            List<Path> files = ReportWriter.write(report, output);
            report.warnings().forEach(w -> err.println("report: warning: " + w));
            out.printf("report: %d run(s), %s output tokens, %s USD per 1M output tokens, %s USD saved vs plain"
                            + " decoding%n", runs.size(), Fmt.readable(report.completionTokens()),
                    Fmt.readable(report.costPerMillionTokens()), Fmt.readable(report.saved()));
            files.forEach(f -> out.println("report: wrote " + f));
            return 0;
        } catch (ReportInputException e) {
            err.println("report: " + e.getMessage());
            return EXIT_INPUT;
        } catch (IOException e) {
            err.println("report: cannot write " + output + ": " + e);
            return EXIT_WRITE;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
