package dev.stride.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.posexplode;
import static org.apache.spark.sql.functions.substring_index;
import static org.apache.spark.sql.functions.sum;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Totals over every row of the output dataset, earlier runs' rows included when the run was resumed. */
record OutputStatistics(long rows, long failedRows, List<RunSummary.FailedRow> failed, Map<String, Long> errorsByKind,
                        long promptTokens, long completionTokens, long forwardPasses, List<Long> acceptHistogram) {

    static final int MAX_LISTED_FAILURES = 1000;

    static OutputStatistics of(Dataset<Row> output) {
        Row totals = output.agg(count("*"), count("error"), sum("prompt_tokens"), sum("completion_tokens"),
                sum("forward_passes")).first();
        Dataset<Row> failures = output.where(col("error").isNotNull());
        List<RunSummary.FailedRow> failed = new ArrayList<>();
        for (Row row : failures.select("id", "error").orderBy("id").limit(MAX_LISTED_FAILURES).collectAsList()) {
            failed.add(new RunSummary.FailedRow(row.getString(0), row.getString(1)));
        }
        Map<String, Long> byKind = new TreeMap<>();
        for (Row row : failures.groupBy(substring_index(col("error"), ":", 1)).count().collectAsList()) {
            byKind.put(row.getString(0), row.getLong(1));
        }
        List<Long> histogram = new ArrayList<>();
        for (Row row : output.select(posexplode(col("accept_histogram"))).groupBy("pos").agg(sum("col"))
                .orderBy("pos").collectAsList()) {
            while (histogram.size() < row.getInt(0)) {
                histogram.add(0L);
            }
            histogram.add(row.getLong(1));
        }
        return new OutputStatistics(totals.getLong(0), totals.getLong(1), failed, byKind, longOrZero(totals, 2),
                longOrZero(totals, 3), longOrZero(totals, 4), histogram);
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
