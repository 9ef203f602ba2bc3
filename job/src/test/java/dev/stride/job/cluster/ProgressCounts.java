package dev.stride.job.cluster;

/** What a run's live counters hold so far, for tests outside this package. */
public final class ProgressCounts {

    private ProgressCounts() {
    }

    public static long rows(JobProgress progress) {
        return progress.rows.value();
    }
}
