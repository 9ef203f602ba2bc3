package dev.stride.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stride.job.cluster.ExecutorNumerics;
import dev.stride.job.cluster.ExecutorTime;
import dev.stride.job.cluster.JobProgress;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The run summary of docs/job-output.md. Components are the JSON fields in camel case, in the documented order.
 * Row and token totals cover the whole output; per-executor figures, throughput and warnings cover this run's work.
 *
 * @param executorSecondsAlive seconds each executor was alive within the run, summed, from Spark's executor events
 *     ({@link ExecutorTime}); what a cluster bills
 * @param executorSecondsBusy seconds each executor ran at least one task within the run, summed
 * @param utilisation busy / alive; null when nothing was alive
 * @param duplicateRowsDropped input rows --dedupe first dropped because an earlier row had their id
 * @param warnings executors whose outputs may differ in the last bits ({@link ExecutorNumerics#warnings})
 */
public record RunSummary(String runId, String strideVersion, String sparkVersion, String startedAt,
                         String finishedAt, double wallSeconds, String input, String output, ModelSummary model,
                         HeadsSummary heads, String mode, String tree, String device, int executors,
                         int coresPerExecutor, int gpusPerExecutor, double executorSecondsAlive,
                         double executorSecondsBusy, Double utilisation, long rowsTotal, long rowsOk, long rowsFailed,
                         long duplicateRowsDropped,
                         List<FailedRow> failedRows, Map<String, Long> errorsByKind, long promptTokens,
                         long completionTokens, long forwardPasses, long decodePasses, double outputTokensPerS,
                         double meanTokensPerPass, List<Long> acceptHistogram, Double passCostRatio,
                         List<ExecutorSummary> perExecutor, List<String> warnings, Map<String, Object> config) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** @param weightLayout how executors held the weights: it decides the last bits of the logits */
    public record ModelSummary(String name, String path, long parameters, long weightBytes, String dtype,
                               String weightLayout) {
    }

    /** @param draftTokens tokens the heads may propose (their draft vocabulary, or the model's whole vocabulary) */
    public record HeadsSummary(String name, String path, int numHeads, int numLayers, int draftTokens) {
    }

    public record FailedRow(String id, String error) {
    }

    /**
     * One executor's work and numerics.
     *
     * @param device the device its passes ran on ({@code Engine.device()}); distinct values joined by ", " in the
     *     rare case its tasks used different GPUs
     * @param vectorBits CPU vector width the kernels ran with
     * @param weightLayout how it held the weights
     * @param javaVersion its JVM's java.version
     * @param aliveSeconds how long it was alive within the run, from Spark's executor events; null if they did not
     *     name it
     */
    public record ExecutorSummary(String executor, long rows, long completionTokens, double busySeconds,
                                  double outputTokensPerS, String device, int vectorBits, String weightLayout,
                                  String javaVersion, Double aliveSeconds) {

        /** One entry per executor; busy time is the union of its partitions' intervals, as tasks overlap. */
        static List<ExecutorSummary> of(List<JobProgress.PartitionReport> reports, ExecutorTime.Totals time) {
            Map<String, List<JobProgress.PartitionReport>> byExecutor = reports.stream()
                    .collect(Collectors.groupingBy(JobProgress.PartitionReport::executor, TreeMap::new,
                            Collectors.toList()));
            List<ExecutorSummary> summaries = new ArrayList<>();
            byExecutor.forEach((executor, own) -> {
                double busySeconds = busyMillis(own) / 1000.0;
                long tokens = own.stream().mapToLong(JobProgress.PartitionReport::completionTokens).sum();
                summaries.add(new ExecutorSummary(executor,
                        own.stream().mapToLong(JobProgress.PartitionReport::rows).sum(), tokens, busySeconds,
                        busySeconds == 0 ? 0.0 : tokens / busySeconds, distinct(own, ExecutorNumerics::device),
                        own.get(0).numerics().vectorBits(), distinct(own, ExecutorNumerics::weightLayout),
                        distinct(own, ExecutorNumerics::javaVersion), aliveSeconds(time, executor)));
            });
            return summaries;
        }

        private static Double aliveSeconds(ExecutorTime.Totals time, String executor) {
            ExecutorTime.Figures figures = time.of(executor);
            return figures == null ? null : figures.aliveSeconds();
        }

        private static String distinct(List<JobProgress.PartitionReport> reports,
                                       Function<ExecutorNumerics, String> value) {
            return reports.stream().map(report -> value.apply(report.numerics())).distinct().sorted()
                    .collect(Collectors.joining(", "));
        }

        private static long busyMillis(List<JobProgress.PartitionReport> reports) {
            List<JobProgress.PartitionReport> sorted = new ArrayList<>(reports);
            sorted.sort(Comparator.comparingLong(JobProgress.PartitionReport::startMillis));
            long busy = 0;
            long coveredUntil = Long.MIN_VALUE;
            for (JobProgress.PartitionReport report : sorted) {
                long start = Math.max(report.startMillis(), coveredUntil);
                if (report.endMillis() > start) {
                    busy += report.endMillis() - start;
                }
                coveredUntil = Math.max(coveredUntil, report.endMillis());
            }
            return busy;
        }
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
