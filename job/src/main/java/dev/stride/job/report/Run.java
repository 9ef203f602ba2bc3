package dev.stride.job.report;

/** One run the report covers: where its output lies and what its summary says. */
public record Run(String location, RunSummaryFile summary) {
}
