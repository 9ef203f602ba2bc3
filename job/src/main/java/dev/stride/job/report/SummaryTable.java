package dev.stride.job.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's headline figures as metric/value rows. One list feeds report.csv, report.md, report.json and the HTML
 * table, so all four always show the same numbers.
 */
record SummaryTable(List<Metric> metrics) {

    /**
     * @param key stable snake_case name (CSV and JSON)
     * @param label what a reader sees
     * @param value a Long or Double; null when it does not apply (no GPUs, no rows)
     */
    record Metric(String key, String label, Number value) {
    }

    static SummaryTable of(CostReport r) {
        Percentiles latency = r.latency();
        return new SummaryTable(List.of(
                new Metric("runs", "Runs", (long) r.runs().size()),
                new Metric("rows_total", "Rows", r.rows()),
                new Metric("rows_ok", "Rows ok", r.rowsOk()),
                new Metric("rows_failed", "Rows failed", r.rowsFailed()),
                new Metric("completion_tokens", "Output tokens", r.completionTokens()),
                new Metric("wall_seconds", "Wall time (s)", r.wallSeconds()),
                new Metric("output_tokens_per_s", "Output tokens/s", r.outputTokensPerS()),
                new Metric("output_tokens_per_s_per_executor", "Output tokens/s per executor",
                        r.outputTokensPerSPerExecutor()),
                new Metric("executor_seconds_alive", "Executor-seconds alive (billed)", r.executorSecondsAlive()),
                new Metric("executor_seconds_busy", "Executor-seconds busy", r.executorSecondsBusy()),
                new Metric("utilisation", "Utilisation (busy / alive)", r.utilisation()),
                new Metric("gpu_hours", "GPU-hours", r.gpuHours()),
                new Metric("cpu_core_hours", "CPU core-hours", r.cpuCoreHours()),
                new Metric("output_tokens_per_gpu_hour", "Output tokens per GPU-hour", r.outputTokensPerGpuHour()),
                new Metric("output_tokens_per_cpu_core_hour", "Output tokens per CPU core-hour",
                        r.outputTokensPerCpuHour()),
                new Metric("mean_tokens_per_pass", "Mean tokens per decode pass", r.meanTokensPerPass()),
                new Metric("decode_ms_p50", "Latency p50 (ms)", latency.p50()),
                new Metric("decode_ms_p90", "Latency p90 (ms)", latency.p90()),
                new Metric("decode_ms_p99", "Latency p99 (ms)", latency.p99()),
                new Metric("decode_ms_max", "Latency max (ms)", latency.max()),
                new Metric("mean_token_logprob", "Mean log-probability per output token", r.meanTokenLogprob()),
                new Metric("gpu_hour_price_usd", "GPU-hour price (USD)", r.prices().gpuHour()),
                new Metric("cpu_core_hour_price_usd", "CPU core-hour price (USD)", r.prices().cpuHour()),
                new Metric("cost_usd", "Cost (USD)", r.cost()),
                new Metric("cost_per_1m_output_tokens_usd", "Cost per 1M output tokens (USD)",
                        r.costPerMillionTokens()),
                new Metric("plain_decoding_cost_usd", "Plain-decoding cost estimate (USD)", r.plainCost()),
                new Metric("plain_decoding_cost_per_1m_output_tokens_usd",
                        "Plain-decoding cost per 1M output tokens (USD)", r.plainCostPerMillionTokens()),
                new Metric("saved_usd", "Saved vs plain decoding (USD)", r.saved()),
                new Metric("saved_percent", "Saved vs plain decoding (%)", r.savedPercent())));
    }

    /** Key to value, in table order. */
    Map<String, Number> values() {
        Map<String, Number> values = new LinkedHashMap<>();
        metrics.forEach(m -> values.put(m.key(), m.value()));
        return values;
    }

    Number value(String key) {
        return values().get(key);
    }
}
