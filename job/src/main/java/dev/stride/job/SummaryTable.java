package dev.stride.job;

import java.util.Locale;
import java.util.stream.Collectors;

/** The run summary as a short human-readable table for the console. */
final class SummaryTable {

    private static final int LISTED_FAILURES = 10;

    private SummaryTable() {
    }

    static String format(RunSummary s, String summaryLocation) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Stride run %s finished in %.1f s%n", s.runId(), s.wallSeconds()));
        line(out, "output", s.output());
        line(out, "summary", summaryLocation);
        line(out, "model", String.format(Locale.ROOT, "%s (%,d parameters, %s)", s.model().name(),
                s.model().parameters(), s.model().dtype()));
        line(out, "heads", s.heads() == null ? "none (plain decoding)"
                : String.format("%s (%d heads, %d draft tokens)", s.heads().name(), s.heads().numHeads(),
                        s.heads().draftTokens()));
        line(out, "mode / device", s.mode() + " / " + s.device());
        line(out, "rows", String.format("%d total, %d ok, %d failed%s", s.rowsTotal(), s.rowsOk(), s.rowsFailed(),
                s.duplicateRowsDropped() == 0 ? ""
                        : String.format("; %d input rows with a duplicate id dropped", s.duplicateRowsDropped())));
        line(out, "tokens", String.format("%d prompt, %d completion", s.promptTokens(), s.completionTokens()));
        line(out, "throughput", String.format(Locale.ROOT,
                "%.1f tokens/s wall clock incl. start-up (this run's tokens / %.1f s)", s.outputTokensPerS(),
                s.wallSeconds()));
        line(out, "executor time", String.format(Locale.ROOT,
                "%.1f executor-seconds alive, %.1f busy, utilisation %s", s.executorSecondsAlive(),
                s.executorSecondsBusy(), s.utilisation() == null ? "n/a"
                        : String.format(Locale.ROOT, "%.0f%%", s.utilisation() * 100)));
        double decoding = s.perExecutor().stream().mapToDouble(RunSummary.ExecutorSummary::outputTokensPerS).sum();
        line(out, "decoding", String.format(Locale.ROOT,
                "%.1f tokens/s summed over executors (tokens / busy time), %.2f tokens/pass%s", decoding,
                s.meanTokensPerPass(), s.passCostRatio() == null ? ""
                        : String.format(Locale.ROOT, ", pass cost ratio %.2f", s.passCostRatio())));
        for (RunSummary.ExecutorSummary executor : s.perExecutor()) {
            line(out, "executor " + executor.executor(), String.format(Locale.ROOT,
                    "%d rows, %d tokens, %sbusy %.1f s, decoding %.1f tokens/s; %s, %d-bit vectors, %s weights, Java %s",
                    executor.rows(), executor.completionTokens(), executor.aliveSeconds() == null ? ""
                            : String.format(Locale.ROOT, "alive %.1f s, ", executor.aliveSeconds()),
                    executor.busySeconds(), executor.outputTokensPerS(),
                    executor.device(), executor.vectorBits(), executor.weightLayout(), executor.javaVersion()));
        }
        for (String warning : s.warnings()) {
            line(out, "WARNING", warning);
        }
        if (!s.errorsByKind().isEmpty()) {
            line(out, "errors", s.errorsByKind().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                    .collect(Collectors.joining(", ")));
            s.failedRows().stream().limit(LISTED_FAILURES)
                    .forEach(row -> line(out, "  " + row.id(), row.error()));
            if (s.rowsFailed() > LISTED_FAILURES) {
                line(out, "", "... " + (s.rowsFailed() - LISTED_FAILURES) + " more in " + summaryLocation);
            }
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format("  %-16s %s%n", label, value));
    }
}
