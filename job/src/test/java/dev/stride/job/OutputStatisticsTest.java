package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The summary's totals over the output rows, and what reading them costs. */
class OutputStatisticsTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final StructType SCHEMA = new StructType()
            .add("id", "string").add("prompt_tokens", "int").add("completion_tokens", "int")
            .add("forward_passes", "int").add("accept_histogram", "array<int>").add("error", "string");

    @TempDir
    Path dir;

    @Test
    void theOutputIsScannedOnceBesideTheFilesHoldingFailures() {
        SparkSession spark = SPARK.session();
        Path output = dir.resolve("out");
        // Two files without failures, one with a few: only that one's rows may be read a second time (for the
        // failed ids; the others' Parquet null counts say they have none).
        List<Row> all = new ArrayList<>();
        for (int file = 0; file < 3; file++) {
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                String id = String.format("f%d-%04d", file, i);
                boolean failed = file == 2 && i % 100 == 7;
                String error = failed ? (i % 200 == 7 ? "empty_prompt: no tokens" : "prompt_too_long") : null;
                List<Integer> histogram = failed ? List.of() : List.of(i % 5, 1, i % 3).subList(0, 1 + i % 3);
                rows.add(RowFactory.create(id, 3 + i % 7, failed ? 0 : 1 + i % 4, failed ? 0 : 2 + i % 5,
                        histogram, error));
            }
            spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode("append").parquet(output.toString());
            all.addAll(rows);
        }
        ScanAudit audit = ScanAudit.register(spark.sparkContext());
        OutputStatistics stats;
        try {
            stats = OutputStatistics.of(spark.read().parquet(output.toString()));
            long read = audit.recordsReadFrom(output.toUri().getPath().replaceAll("/$", ""));
            assertTrue(read <= all.size() + 1000, "the statistics read " + read + " records of an output of "
                    + all.size() + " rows, 1000 of them in the file with failures:\n" + audit.table(Map.of()));
        } finally {
            audit.close();
        }
        assertEquals(expected(all), stats);
    }

    /** The statistics as docs/job-output.md defines them, row by row. */
    private static OutputStatistics expected(List<Row> rows) {
        long failedRows = 0;
        long[] tokens = new long[3];
        Map<String, Long> byKind = new TreeMap<>();
        List<Long> histogram = new ArrayList<>();
        List<RunSummary.FailedRow> failed = new ArrayList<>();
        for (Row row : rows) {
            for (int i = 0; i < 3; i++) {
                tokens[i] += row.getInt(1 + i);
            }
            @SuppressWarnings("unchecked")
            List<Integer> slots = (List<Integer>) row.get(4);
            for (int i = 0; i < slots.size(); i++) {
                if (histogram.size() <= i) {
                    histogram.add(0L);
                }
                histogram.set(i, histogram.get(i) + slots.get(i));
            }
            String error = row.getString(5);
            if (error != null) {
                failedRows++;
                byKind.merge(error.split(":")[0], 1L, Long::sum);
                failed.add(new RunSummary.FailedRow(row.getString(0), error));
            }
        }
        failed.sort((a, b) -> a.id().compareTo(b.id()));
        return new OutputStatistics(rows.size(), failedRows, failed, byKind,
                tokens[0], tokens[1], tokens[2], histogram);
    }
}
