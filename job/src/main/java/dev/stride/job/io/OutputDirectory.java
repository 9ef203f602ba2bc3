package dev.stride.job.io;

import dev.stride.job.RunSummary;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/** The --output dataset: part files published by {@link StagedOutput}, plus the run summary under _stride/. */
public final class OutputDirectory {

    /** The columns of summary.parquet: every field of summary.json (docs/job-output.md), in its order. */
    public static final StructType SUMMARY_TABLE = StructType.fromDDL(String.join(", ",
            "run_id STRING, stride_version STRING, spark_version STRING, started_at STRING, finished_at STRING",
            "wall_seconds DOUBLE, input STRING, output STRING",
            "model STRUCT<name: STRING, path: STRING, parameters: BIGINT, weight_bytes: BIGINT, dtype: STRING, "
                    + "weight_layout: STRING>",
            "heads STRUCT<name: STRING, path: STRING, num_heads: INT, num_layers: INT, draft_tokens: INT>",
            "mode STRING, tree STRING, device STRING, executors INT, cores_per_executor INT, gpus_per_executor INT",
            "executor_seconds_alive DOUBLE, executor_seconds_busy DOUBLE, utilisation DOUBLE",
            "rows_total BIGINT, rows_ok BIGINT, rows_failed BIGINT, duplicate_rows_dropped BIGINT",
            "failed_rows ARRAY<STRUCT<id: STRING, error: STRING>>, errors_by_kind MAP<STRING, BIGINT>",
            "prompt_tokens BIGINT, completion_tokens BIGINT, forward_passes BIGINT, decode_passes BIGINT",
            "output_tokens_per_s DOUBLE, mean_tokens_per_pass DOUBLE, accept_histogram ARRAY<BIGINT>",
            "pass_cost_ratio DOUBLE",
            "per_executor ARRAY<STRUCT<executor: STRING, rows: BIGINT, completion_tokens: BIGINT, "
                    + "busy_seconds: DOUBLE, output_tokens_per_s: DOUBLE, device: STRING, vector_bits: INT, "
                    + "weight_layout: STRING, java_version: STRING, alive_seconds: DOUBLE>>",
            "warnings ARRAY<STRING>",
            "config STRUCT<max_new_tokens: INT, max_batch: INT, seed: BIGINT, temperature: DOUBLE, top_k: INT, "
                    + "top_p: DOUBLE, stop: ARRAY<STRING>, logprobs: INT, threads: INT, partitions: INT, "
                    + "prompt_column: STRING, id_column: STRING, keep_columns: ARRAY<STRING>, chat: BOOLEAN, "
                    + "resume: BOOLEAN, dedupe: STRING>"));

    private final SparkSession spark;
    private final String location;
    private final Path path;

    public OutputDirectory(SparkSession spark, String location) {
        this.spark = spark;
        this.location = location;
        this.path = new Path(location);
    }

    public boolean exists() {
        try {
            return fileSystem().exists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** All rows written so far; an explicit schema keeps a directory without part files readable (as empty). */
    public Dataset<Row> rows(StructType schema) {
        return spark.read().schema(schema).parquet(location);
    }

    /**
     * The columns ({@link JobSchema#describe}) of the part files already written; empty when there are none yet.
     * Every file is checked readable first: a resume reads them all.
     */
    public Optional<List<String>> existingColumns() {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        PartFiles.requireReadable(conf, PartFiles.data(conf, path));
        try {
            return Optional.of(JobSchema.describe(spark.read().parquet(location).schema()));
        } catch (Exception e) {
            // Scala does not declare AnalysisException ("Unable to infer schema": no part files), so javac cannot
            // catch it by name.
            if (e instanceof AnalysisException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public String summaryJsonLocation() {
        return new Path(summaryDirectory(), "summary.json").toString();
    }

    /**
     * Writes summary.json and the same summary as a one-row Parquet table of {@link #SUMMARY_TABLE}'s columns: a fixed
     * schema, since one row's JSON says little of its types (a null pass_cost_ratio was inferred as a string, an empty
     * errors_by_kind dropped), and tables of several runs must union.
     */
    public void writeSummary(RunSummary summary) {
        String json = summary.toJson();
        try (OutputStream out = fileSystem().create(new Path(summaryJsonLocation()), true)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        spark.read().schema(SUMMARY_TABLE).option("mode", "FAILFAST")
                .json(spark.createDataset(List.of(json), Encoders.STRING()))
                .coalesce(1)
                .write().mode(SaveMode.Overwrite)
                .parquet(new Path(summaryDirectory(), "summary.parquet").toString());
    }

    private Path summaryDirectory() {
        return new Path(path, "_stride");
    }

    private FileSystem fileSystem() throws IOException {
        return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    }
}
