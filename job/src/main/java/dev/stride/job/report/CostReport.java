package dev.stride.job.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * The report's figures over one or more runs. Token totals, time and cost come from the run summaries; distributions
 * and error kinds from the rows. Runs are taken as back to back, so their wall times add up. Rates and costs per
 * token set each run's time and cost against the tokens it generated ({@link #generatedTokens}), not against the
 * rows a {@code --resume} run found done.
 *
 * @param rows output rows read, over all runs
 * @param tokensPerPass per ok row that decoded, in file order
 * @param decodeMs per ok row, in file order
 * @param meanTokenLogprob mean log-probability of the output tokens of ok rows with a logprobs column (runs with
 *     --logprobs); null when no row has one
 * @param warnings disagreements between the summaries and the rows
 */
record CostReport(Prices prices, List<RunCost> runs, long rows, long rowsFailed, Map<String, Long> errorsByKind,
                  long[] acceptHistogram, double[] tokensPerPass, double[] decodeMs, Percentiles latency,
                  Double meanTokenLogprob, List<String> warnings) {

    /**
     * One run's billed resources: the executor-seconds alive ({@link RunSummaryFile#billedExecutorSeconds}).
     *
     * @param plainCost what plain decoding would have cost: the same tokens at one per pass, each pass
     *     {@code pass_cost_ratio} times cheaper; equal to cost when there is nothing to compare
     */
    record RunCost(Run run, double gpuHours, double cpuCoreHours, double cost, double plainCost) {

        static RunCost of(Run run, Prices prices) {
            RunSummaryFile s = run.summary();
            double executorHours = s.billedExecutorSeconds() / 3600;
            double cost = executorHours * (s.gpusPerExecutor() * prices.gpuHour()
                    + s.coresPerExecutor() * prices.cpuHour());
            double plainCost = s.comparableToPlain() ? cost * s.meanTokensPerPass() / s.passCostRatio() : cost;
            return new RunCost(run, executorHours * s.gpusPerExecutor(), executorHours * s.coresPerExecutor(), cost,
                    plainCost);
        }
    }

    static CostReport of(List<Run> runs, RowStats rowStats, Prices prices) {
        List<RunCost> costs = runs.stream().map(run -> RunCost.of(run, prices)).toList();
        long summaryRows = sumExact(runs, "rows_total", RunSummaryFile::rowsTotal);
        long summaryTokens = sumExact(runs, "completion_tokens", RunSummaryFile::completionTokens);
        sumExact(runs, "per_executor[].completion_tokens", RunSummaryFile::generatedTokens);
        List<String> warnings = new ArrayList<>();
        if (summaryRows != rowStats.rows()) {
            warnings.add("the summaries count " + summaryRows + " rows but the Parquet files hold " + rowStats.rows()
                    + "; the output changed after the run finished");
        }
        if (summaryTokens != rowStats.completionTokens()) {
            warnings.add("the summaries count " + summaryTokens + " completion tokens but the rows add up to "
                    + rowStats.completionTokens() + "; cost figures use the summaries");
        }
        double[] decodeMs = rowStats.decodeMs();
        return new CostReport(prices, costs, rowStats.rows(), rowStats.failed(), rowStats.errorsByKind(),
                rowStats.acceptHistogram(), rowStats.tokensPerPass(), decodeMs, Percentiles.of(decodeMs),
                rowStats.meanTokenLogprob(), List.copyOf(warnings));
    }

    long rowsOk() {
        return rows - rowsFailed;
    }

    /** Completion tokens of every row of the outputs. */
    long completionTokens() {
        return sumExact(inputRuns(), "completion_tokens", RunSummaryFile::completionTokens);
    }

    /** Completion tokens the runs generated: {@link #completionTokens} less those of rows a resumed run adopted. */
    long generatedTokens() {
        return sumExact(inputRuns(), "per_executor[].completion_tokens", RunSummaryFile::generatedTokens);
    }

    double wallSeconds() {
        return sum(c -> c.run().summary().wallSeconds());
    }

    double gpuHours() {
        return sum(RunCost::gpuHours);
    }

    double cpuCoreHours() {
        return sum(RunCost::cpuCoreHours);
    }

    double cost() {
        return sum(RunCost::cost);
    }

    double plainCost() {
        return sum(RunCost::plainCost);
    }

    double saved() {
        return plainCost() - cost();
    }

    double executorSecondsAlive() {
        return sum(c -> c.run().summary().billedExecutorSeconds());
    }

    /** Null unless every run's summary records busy time. */
    Double executorSecondsBusy() {
        if (runs.stream().anyMatch(c -> c.run().summary().executorSecondsBusy() == null)) {
            return null;
        }
        return sum(c -> c.run().summary().executorSecondsBusy());
    }

    /** Busy / alive executor-seconds; null unless every run's summary records both. */
    Double utilisation() {
        Double busy = executorSecondsBusy();
        if (busy == null || runs.stream().anyMatch(c -> c.run().summary().executorSecondsAlive() == null)) {
            return null;
        }
        return ratio(busy, executorSecondsAlive());
    }

    Double outputTokensPerS() {
        return ratio(generatedTokens(), wallSeconds());
    }

    Double outputTokensPerSPerExecutor() {
        return ratio(generatedTokens(), executorSecondsAlive());
    }

    Double outputTokensPerGpuHour() {
        return ratio(generatedTokens(), gpuHours());
    }

    Double outputTokensPerCpuHour() {
        return ratio(generatedTokens(), cpuCoreHours());
    }

    Double costPerMillionTokens() {
        return perMillion(cost());
    }

    Double plainCostPerMillionTokens() {
        return perMillion(plainCost());
    }

    Double savedPercent() {
        Double share = ratio(saved(), plainCost());
        return share == null ? null : share * 100;
    }

    /** Tokens per decode pass over all rows, from the summed acceptance histogram (slot i yields i + 1 tokens). */
    Double meanTokensPerPass() {
        long passes = 0;
        long tokens = 0;
        for (int i = 0; i < acceptHistogram.length; i++) {
            passes += acceptHistogram[i];
            tokens += (i + 1) * acceptHistogram[i];
        }
        return ratio(tokens, passes);
    }

    private Double perMillion(double usd) {
        long tokens = generatedTokens();
        return tokens == 0 ? null : usd / tokens * 1e6;
    }

    private List<Run> inputRuns() {
        return runs.stream().map(RunCost::run).toList();
    }

    // Counts near 2^63 (no real run, but a corrupt summary) must not wrap round to a negative total.
    private static long sumExact(List<Run> runs, String field, ToLongFunction<RunSummaryFile> count) {
        long total = 0;
        for (Run run : runs) {
            try {
                total = Math.addExact(total, count.applyAsLong(run.summary()));
            } catch (ArithmeticException e) {
                throw new ReportInputException("the summaries' " + field + " add up to more than " + Long.MAX_VALUE);
            }
        }
        return total;
    }

    private double sum(ToDoubleFunction<RunCost> figure) {
        double total = 0; // plain left-to-right addition, as the notebook does it, so both agree to the last bit
        for (RunCost cost : runs) {
            total += figure.applyAsDouble(cost);
        }
        return total;
    }

    private static Double ratio(double numerator, double denominator) {
        return denominator == 0 ? null : numerator / denominator;
    }
}
