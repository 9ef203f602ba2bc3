package dev.stride.job.report;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The fields of a run's {@code _stride/summary.json} (docs/job-output.md) that the report uses. Every field must be
 * present, so a file that is not a Stride summary fails here rather than yielding zeros.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunSummaryFile(String runId, double wallSeconds, String mode, ModelName model, String device,
                             int executors, int coresPerExecutor, int gpusPerExecutor, long rowsTotal, long rowsOk,
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
        RunSummaryFile summary = JSON.readValue(in, RunSummaryFile.class);
        if (!"ar".equals(summary.mode) && !"mtp".equals(summary.mode)) {
            throw new IOException("mode must be ar or mtp, got " + summary.mode);
        }
        if (summary.wallSeconds < 0 || summary.executors < 0 || summary.coresPerExecutor < 0
                || summary.gpusPerExecutor < 0) {
            throw new IOException("wall_seconds, executors, cores_per_executor and gpus_per_executor must be >= 0");
        }
        return summary;
    }

    /** Multi-token decoding with a measured pass cost, the only case where plain decoding would have cost more. */
    public boolean comparableToPlain() {
        return "mtp".equals(mode) && passCostRatio != null && passCostRatio > 0;
    }
}
