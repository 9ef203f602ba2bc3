package dev.stride.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.posexplode_outer;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Totals over every row of the output dataset, earlier runs' rows included when the run was resumed. */
record OutputStatistics(long rows, long failedRows, List<RunSummary.FailedRow> failed, Map<String, Long> errorsByKind,
                        long promptTokens, long completionTokens, long forwardPasses, List<Long> acceptHistogram) {

    static final int MAX_LISTED_FAILURES = 1000;

    /**
     * Two scans of the output: one for the totals, error kinds and histogram, and one, mostly skipped by the Parquet
     * files' null counts, for the failed ids. Each was a scan of its own, and at a nightly run's size every scan of
     * the output costs minutes.
     */
    static OutputStatistics of(Dataset<Row> output) {
        // A row gives one entry per histogram slot (pos, col), or one with a null pos when its histogram is empty;
        // its own counts and error kind go with its first entry only.
        Column first = coalesce(col("pos"), lit(0)).equalTo(0);
        Dataset<Row> entries = output.select(posexplode_outer(col("accept_histogram")), col("error"),
                col("prompt_tokens"), col("completion_tokens"), col("forward_passes"));
        List<Row> groups = entries.groupBy(col("pos"), when(first, substring_index(col("error"), ":", 1)).as("kind"))
                .agg(count(when(first, lit(1))), sum("col"), sum(when(first, col("prompt_tokens"))),
                        sum(when(first, col("completion_tokens"))), sum(when(first, col("forward_passes"))))
                .collectAsList();
        long rows = 0;
        long failedRows = 0;
        long[] tokens = new long[3];
        Map<String, Long> byKind = new TreeMap<>();
        Map<Integer, Long> slots = new TreeMap<>();
        for (Row group : groups) {
            long groupRows = group.getLong(2);
            rows += groupRows;
            if (!group.isNullAt(1)) {
                failedRows += groupRows;
                byKind.merge(group.getString(1), groupRows, Long::sum);
            }
            if (!group.isNullAt(0)) {
                slots.merge(group.getInt(0), group.getLong(3), Long::sum);
            }
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] += longOrZero(group, 4 + i);
            }
        }
        List<Long> histogram = new ArrayList<>();
        slots.forEach((pos, passes) -> {
            while (histogram.size() < pos) {
                histogram.add(0L);
            }
            histogram.add(passes);
        });
        List<RunSummary.FailedRow> failed = new ArrayList<>();
        for (Row row : output.where(col("error").isNotNull()).select("id", "error").orderBy("id")
                .limit(MAX_LISTED_FAILURES).collectAsList()) {
            failed.add(new RunSummary.FailedRow(row.getString(0), row.getString(1)));
        }
        return new OutputStatistics(rows, failedRows, failed, byKind, tokens[0], tokens[1], tokens[2], histogram);
    }

    long decodePasses() {
        return acceptHistogram.stream().mapToLong(Long::longValue).sum();
    }

    /** Tokens per decode pass over all rows: a pass counted in histogram slot i yielded i + 1 tokens. */
    double meanTokensPerPass() {
        long tokens = 0;
        for (int i = 0; i < acceptHistogram.size(); i++) {
            tokens += (i + 1) * acceptHistogram.get(i);
        }
        return decodePasses() == 0 ? 0.0 : (double) tokens / decodePasses();
    }

    // sum() over no rows is null.
    private static long longOrZero(Row row, int index) {
        return row.isNullAt(index) ? 0 : row.getLong(index);
    }
}
