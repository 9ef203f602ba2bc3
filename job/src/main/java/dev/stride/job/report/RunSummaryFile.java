package dev.stride.job.report;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The fields of a run's {@code _stride/summary.json} (docs/job-output.md) that the report uses. Every field must be
 * present, so a file that is not a Stride summary fails here rather than yielding zeros; except
 * {@code executor_seconds_alive} and {@code executor_seconds_busy}, which summaries written before the job recorded
 * executor time lack (null then).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunSummaryFile(String runId, double wallSeconds, String mode, ModelName model, String device,
                             int executors, int coresPerExecutor, int gpusPerExecutor, Double executorSecondsAlive,
                             Double executorSecondsBusy, long rowsTotal, long rowsOk,
                             long rowsFailed, long completionTokens, double meanTokensPerPass, Double passCostRatio,
                             List<ExecutorFigures> perExecutor) {

    public RunSummaryFile {
        perExecutor = perExecutor == null ? List.of() : List.copyOf(perExecutor);
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ModelName(String name) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record ExecutorFigures(String executor, long rows, long completionTokens, double busySeconds,
                                  double outputTokensPerS) {
    }

    public static RunSummaryFile parse(InputStream in) throws IOException {
        JsonNode tree = JSON.readTree(in);
        if (!(tree instanceof ObjectNode object)) {
            throw new IOException("a run summary is a JSON object");
        }
        for (String optional : List.of("executor_seconds_alive", "executor_seconds_busy")) {
            if (!object.has(optional)) {
                object.putNull(optional);
            }
        }
        RunSummaryFile summary = JSON.treeToValue(object, RunSummaryFile.class);
        if (!"ar".equals(summary.mode) && !"mtp".equals(summary.mode)) {
            throw new IOException("mode must be ar or mtp, got " + summary.mode);
        }
        if (!finiteAtLeastZero(summary.wallSeconds) || !finiteAtLeastZero(summary.meanTokensPerPass)
                || summary.executors < 0 || summary.coresPerExecutor < 0 || summary.gpusPerExecutor < 0) {
            throw new IOException("wall_seconds, mean_tokens_per_pass, executors, cores_per_executor and "
                    + "gpus_per_executor must be finite and >= 0");
        }
        for (Double optional : new Double[] {summary.executorSecondsAlive, summary.executorSecondsBusy,
                summary.passCostRatio}) {
            if (optional != null && !finiteAtLeastZero(optional)) {
                throw new IOException("executor_seconds_alive, executor_seconds_busy and pass_cost_ratio must be "
                        + "finite and >= 0 where present");
            }
        }
        // A negative count would turn the totals and the cost per token negative; per-executor tokens are summed.
        if (summary.rowsTotal < 0 || summary.rowsOk < 0 || summary.rowsFailed < 0 || summary.completionTokens < 0) {
            throw new IOException("rows_total, rows_ok, rows_failed and completion_tokens must be >= 0");
        }
        long generated = 0;
        for (ExecutorFigures e : summary.perExecutor) {
            if (e != null && (e.rows < 0 || e.completionTokens < 0)) {
                throw new IOException("per_executor[].rows and per_executor[].completion_tokens must be >= 0, got "
                        + e.rows + " and " + e.completionTokens + " for executor " + e.executor);
            }
            try {
                generated = Math.addExact(generated, e == null ? 0 : e.completionTokens);
            } catch (ArithmeticException overflow) {
                throw new IOException("per_executor[].completion_tokens add up to more than " + Long.MAX_VALUE);
            }
        }
        // The charts scale their axes to these; an infinite one would draw gridlines without end, a NaN one would
        // reach report.json as a bare NaN that no JSON reader accepts.
        for (ExecutorFigures e : summary.perExecutor) {
            if (e != null && !(finiteAtLeastZero(e.busySeconds) && finiteAtLeastZero(e.outputTokensPerS))) {
                throw new IOException("per_executor[].busy_seconds and per_executor[].output_tokens_per_s must be "
                        + "finite and >= 0, got " + e.busySeconds + " and " + e.outputTokensPerS + " for executor "
                        + e.executor);
            }
        }
        // Present but null: Jackson accepts it, and the writers would fail on it later without naming the field.
        if (summary.runId == null || summary.model == null || summary.model.name == null || summary.device == null
                || summary.perExecutor.stream().anyMatch(e -> e == null || e.executor == null)) {
            throw new IOException("run_id, model.name, device and per_executor[].executor must be strings, not null");
        }
        return summary;
    }

    private static boolean finiteAtLeastZero(double value) {
        return value >= 0 && value < Double.POSITIVE_INFINITY;
    }

    /**
     * The executor-seconds the run is billed for: those alive, from the job's record of executor events; for a summary
     * without it, wall_seconds × executors (every executor that generated rows billed for the whole run).
     */
    public double billedExecutorSeconds() {
        return executorSecondsAlive != null ? executorSecondsAlive : wallSeconds * executors;
    }

    /**
     * The completion tokens this run's executors generated. A {@code --resume} run's completion_tokens counts every
     * row of the output, those of the run that died included, while its time and cost are its own.
     */
    public long generatedTokens() {
        return perExecutor.stream().mapToLong(ExecutorFigures::completionTokens).sum();
    }

    /**
     * Multi-token decoding with a measured pass cost and decode passes to compare, the only case where plain decoding
     * would have cost more (a run without decode passes, e.g. one new token a row, has no tokens per pass).
     */
    public boolean comparableToPlain() {
        return "mtp".equals(mode) && passCostRatio != null && passCostRatio > 0 && meanTokensPerPass > 0;
    }
}
