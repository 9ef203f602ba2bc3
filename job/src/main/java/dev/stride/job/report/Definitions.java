package dev.stride.job.report;

import java.util.List;

/** How the report's figures are defined; printed in the HTML and Markdown reports (and cluster-config/README.md). */
final class Definitions {

    record Definition(String term, String text) {
    }

    static final List<Definition> ALL = List.of(
            new Definition("Cost", "sum over runs of executor_seconds_alive / 3600 × (gpus_per_executor × GPU-hour"
                    + " price + cores_per_executor × CPU core-hour price): executors are billed for the time they"
                    + " were alive within their run, from Spark's executor added/removed events. For a summary"
                    + " without executor_seconds_alive (written before the job recorded it), wall_seconds ×"
                    + " executors instead."),
            new Definition("Utilisation", "executor-seconds busy / executor-seconds alive over all runs: an executor"
                    + " is busy while at least one of its tasks runs. Empty when a summary lacks the figures."),
            new Definition("Output tokens generated", "the completion tokens the runs' executors generated (the sum"
                    + " of per_executor's): output tokens less those of rows a --resume run found already done,"
                    + " whose time and cost belong to the run that died."),
            new Definition("Cost per 1M output tokens", "cost / output tokens generated × 1e6."),
            new Definition("Plain-decoding cost estimate", "per run, cost × mean_tokens_per_pass / pass_cost_ratio:"
                    + " plain decoding needs mean_tokens_per_pass times as many passes, each pass_cost_ratio times"
                    + " cheaper. Equal to the cost when the run decoded plainly (mode ar), ran no decode pass"
                    + " (mean_tokens_per_pass 0) or pass_cost_ratio is null."),
            new Definition("Saved", "plain-decoding cost estimate − cost; negative when multi-token decoding was"
                    + " slower than plain decoding would have been."),
            new Definition("Throughput", "output tokens generated / wall seconds summed over runs; per executor,"
                    + " divided by the billed executor-seconds; per GPU-hour or CPU core-hour, output tokens generated"
                    + " / billed hours."),
            new Definition("Latency", "decode_ms of ok rows (admission to finish), nearest-rank percentiles."),
            new Definition("Tokens per pass", "distribution over ok rows that ran a decode pass; the mean is over"
                    + " all decode passes, from the summed acceptance histogram."),
            new Definition("Mean log-probability per output token", "mean of the logprob (natural log, under the"
                    + " model's own distribution) of every output token of ok rows that have a logprobs column"
                    + " (runs with --logprobs); empty when no row has one."));

    private Definitions() {
    }
}
