package dev.stride.decoder.bench;

import java.util.ArrayList;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the kernel benchmarks (scripts/jmh.sh): the matmuls, reported as GFLOP/s and GB/s of weights read, unless
 * JMH's command line names others (e.g. {@code AttentionBenchmark}, listed as JMH reports it). Takes JMH's
 * command-line options, e.g. {@code -p rows=1,16 -p size=1024 -p layout=packed}.
 */
public final class KernelBenchmarks {

    private KernelBenchmarks() {
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions commandLine = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(commandLine).jvmArgsAppend("--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=10000");
        if (commandLine.getIncludes().isEmpty()) {
            builder.include(MatmulBenchmark.class.getSimpleName());
        }
        Options options = builder.build();
        List<RunResult> results = new ArrayList<>(new Runner(options).run());
        results.removeIf(result -> !result.getParams().getBenchmark().contains(MatmulBenchmark.class.getSimpleName()));
        if (results.isEmpty()) {
            return;
        }
        System.out.printf("%n%-6s %-8s %5s %6s %12s %10s %10s%n", "dtype", "layout", "rows", "size", "us/op", "GFLOP/s",
                "GB/s");
        for (RunResult result : results) {
            var params = result.getParams();
            String dtype = params.getParam("dtype");
            String layout = params.getParam("layout");
            int rows = Integer.parseInt(params.getParam("rows"));
            int size = Integer.parseInt(params.getParam("size"));
            double micros = result.getPrimaryResult().getScore();
            double seconds = micros / 1e6;
            int bytesPerWeight = dtype.equals("F32") || layout.equals("packed") ? 4 : 2;
            double flops = 2.0 * rows * size * size;
            double bytes = (double) size * size * bytesPerWeight;
            System.out.printf("%-6s %-8s %5d %6d %12.1f %10.1f %10.1f%n", dtype, layout, rows, size, micros,
                    flops / seconds / 1e9, bytes / seconds / 1e9);
        }
    }
}
