package dev.stride.job.io;

import dev.stride.job.RunSummary;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
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

    /** The columns of the part files already written, in order; empty when there are none yet. */
    public Optional<List<String>> existingColumns() {
        try {
            return Optional.of(List.of(spark.read().parquet(location).schema().fieldNames()));
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

    /** Writes summary.json and the same summary as a one-row Parquet table. */
    public void writeSummary(RunSummary summary) {
        String json = summary.toJson();
        try (OutputStream out = fileSystem().create(new Path(summaryJsonLocation()), true)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        spark.read().json(spark.createDataset(List.of(json), Encoders.STRING()))
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
