package dev.stride.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** How often a run reads its input: at a nightly run's size each scan costs minutes. */
class InputScansTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final int ROWS = 3000;

    @TempDir
    Path dir;

    @Test
    void aRunWithPartitionsReadsItsInputForTheIdCheckAndTheGenerationOnly() {
        SparkSession spark = SPARK.session();
        Path input = dir.resolve("in");
        spark.range(ROWS).select(concat(lit("r"), col("id").cast("string")).as("id"),
                concat(lit("Once upon a time "), col("id").cast("string")).as("prompt"))
                .repartition(4).write().parquet(input.toString());
        Path output = dir.resolve("out");
        ScanAudit audit = ScanAudit.register(spark.sparkContext());
        try {
            RunSummary summary = JobRuns.run(spark, "--input", input.toString(), "--output", output.toString(),
                    "--max-new-tokens", "1", "--partitions", "3");
            assertEquals(ROWS, summary.rowsTotal());
            long read = audit.recordsReadFrom(input.toUri().getPath().replaceAll("/$", ""));
            assertTrue(read <= 2L * ROWS, "the run read " + read + " records of a " + ROWS + "-row input:\n"
                    + audit.table(Map.of()));
        } finally {
            audit.close();
        }
        assertEquals(3, spark.read().parquet(output.toString()).inputFiles().length, "one file per partition");
    }
}
