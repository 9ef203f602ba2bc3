package dev.stride.job.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * report.json: the summary table's numbers plus what a notebook needs to redraw the charts and re-derive the cost
 * (per-run inputs, per-row tokens_per_pass and decode_ms). Doubles are written in full, so a reader recomputing the
 * figures gets the same bits.
 */
final class JsonReport {

    // Pretty-printed objects; arrays stay on one line, which keeps the per-row arrays compact.
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    static String render(CostReport report, SummaryTable table) throws JsonProcessingException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("prices", Map.of("gpu_hour_usd", report.prices().gpuHour(),
                "cpu_core_hour_usd", report.prices().cpuHour()));
        json.put("summary", table.values());
        json.put("runs", report.runs().stream().map(JsonReport::run).toList());
        json.put("per_executor", executors(report));
        json.put("errors_by_kind", report.errorsByKind());
        json.put("accept_histogram", report.acceptHistogram());
        json.put("tokens_per_pass", report.tokensPerPass());
        json.put("decode_ms", report.decodeMs());
        Map<String, String> definitions = new LinkedHashMap<>();
        Definitions.ALL.forEach(d -> definitions.put(d.term(), d.text()));
        json.put("definitions", definitions);
        json.put("warnings", report.warnings());
        return JSON.writeValueAsString(json);
    }

    private static Map<String, Object> run(CostReport.RunCost cost) {
        RunSummaryFile s = cost.run().summary();
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("run_id", s.runId());
        run.put("input", cost.run().location());
        run.put("model", s.model() == null ? null : s.model().name());
        run.put("mode", s.mode());
        run.put("device", s.device());
        run.put("wall_seconds", s.wallSeconds());
        run.put("executors", s.executors());
        run.put("cores_per_executor", s.coresPerExecutor());
        run.put("gpus_per_executor", s.gpusPerExecutor());
        run.put("executor_seconds_alive", s.executorSecondsAlive());
        run.put("executor_seconds_busy", s.executorSecondsBusy());
        run.put("billed_executor_seconds", s.billedExecutorSeconds());
        run.put("rows_total", s.rowsTotal());
        run.put("completion_tokens", s.completionTokens());
        run.put("generated_tokens", s.generatedTokens());
        run.put("mean_tokens_per_pass", s.meanTokensPerPass());
        run.put("pass_cost_ratio", s.passCostRatio());
        run.put("gpu_hours", cost.gpuHours());
        run.put("cpu_core_hours", cost.cpuCoreHours());
        run.put("cost_usd", cost.cost());
        run.put("plain_decoding_cost_usd", cost.plainCost());
        return run;
    }

    private static List<Map<String, Object>> executors(CostReport report) {
        List<Map<String, Object>> executors = new ArrayList<>();
        for (CostReport.RunCost cost : report.runs()) {
            for (RunSummaryFile.ExecutorFigures e : cost.run().summary().perExecutor()) {
                Map<String, Object> executor = new LinkedHashMap<>();
                executor.put("run_id", cost.run().summary().runId());
                executor.put("executor", e.executor());
                executor.put("rows", e.rows());
                executor.put("completion_tokens", e.completionTokens());
                executor.put("busy_seconds", e.busySeconds());
                executor.put("output_tokens_per_s", e.outputTokensPerS());
                executors.add(executor);
            }
        }
        return executors;
    }
}
