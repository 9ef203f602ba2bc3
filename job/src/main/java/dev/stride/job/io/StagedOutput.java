package dev.stride.job.io;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Atomic, checked output: part files become visible in --output only whole, once, and after a check.
 *
 * <p>Each run writes into a staging folder of its own, {@code <output>/_stride/staging/<uuid>}, which readers of the
 * output skip (Spark, Hive and the cost report ignore names starting with {@code _}). Spark's FileOutputCommitter
 * with algorithm version 2 writes each task attempt's file under {@code _temporary} there and renames it into the
 * staging folder when the task commits (one commit per task, chosen by Spark's output commit coordinator; a retried
 * task's file has the same name and replaces the lost attempt's). When the write has finished, the driver checks the
 * staged rows (as many as the run had to do, no id twice, no id already in the output) and publishes them: one
 * rename per part file into the output (atomic on HDFS and local file systems; Spark puts its write-job UUID in the
 * names, so they never collide), then {@code _SUCCESS}.
 *
 * <p>A run that dies leaves its committed part files in staging, never in the output. {@code --resume} first
 * publishes them, after the same checks, and then generates only the rows still missing.
 */
public final class StagedOutput {

    private static final Logger LOG = LoggerFactory.getLogger(StagedOutput.class);

    private final SparkSession spark;
    private final Path output;
    private final Path stagingRoot;

    public StagedOutput(SparkSession spark, String output) {
        this.spark = spark;
        this.output = new Path(output);
        this.stagingRoot = new Path(new Path(this.output, "_stride"), "staging");
    }

    /** Writes this run's rows into a new staging folder and returns it. */
    public Path write(Dataset<Row> rows) {
        Path staging = new Path(stagingRoot, UUID.randomUUID().toString());
        rows.write()
                .mode(SaveMode.ErrorIfExists)
                .option("mapreduce.fileoutputcommitter.algorithm.version", "2")
                // One file per task: a task's commit is then a single rename.
                .option("maxRecordsPerFile", 0)
                .parquet(staging.toString());
        return staging;
    }

    /**
     * Checks the staged rows of this run and moves them into the output.
     *
     * @param expectedRows the rows this run had to generate
     */
    public void publish(Path staging, StructType schema, long expectedRows) {
        List<Path> parts = parts(staging);
        long staged = check(parts, schema, staging.toString());
        if (staged != expectedRows) {
            throw new IllegalStateException("staged output " + staging + " holds " + staged + " rows, but the run had "
                    + expectedRows + " to write; nothing was published");
        }
        move(parts, staging);
        try {
            fs().create(new Path(output, "_SUCCESS"), true).close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Publishes the part files that runs which died had committed into staging (for --resume); returns their rows.
     */
    public long adoptLeftovers(StructType schema) {
        Map<Path, List<Path>> leftovers = leftovers();
        List<Path> parts = leftovers.values().stream().flatMap(List::stream).toList();
        long rows = check(parts, schema, "staged output of an earlier run in " + stagingRoot);
        leftovers.forEach((folder, folderParts) -> move(folderParts, folder));
        if (rows > 0) {
            LOG.info("published {} rows ({} part files) that an earlier run had committed before it stopped", rows,
                    parts.size());
        }
        return rows;
    }

    /**
     * The distinct columns ({@link JobSchema#describe}) of the part files that runs which died left in staging, each
     * file's own: a resume must refuse other columns before any work, and reading the parts with its own schema
     * would not notice. Read from the files' footers on the driver, without a Spark job per file. A file that is not
     * readable Parquet is a {@link dev.stride.job.config.JobSetupException}.
     */
    public Set<List<String>> leftoverColumns() {
        List<Path> parts = leftovers().values().stream().flatMap(List::stream).toList();
        Set<List<String>> columns = new LinkedHashSet<>();
        // Converts as Spark's schema inference does, by the session's settings (binary as string, INT96 ...).
        ParquetToSparkSchemaConverter converter = new ParquetToSparkSchemaConverter(spark.sessionState().conf());
        for (StructType schema : PartFiles.sparkSchemas(spark.sparkContext().hadoopConfiguration(), parts,
                converter)) {
            columns.add(JobSchema.describe(schema));
        }
        return columns;
    }

    /** The part files of each staging folder that runs which died left behind. */
    private Map<Path, List<Path>> leftovers() {
        Map<Path, List<Path>> leftovers = new LinkedHashMap<>();
        try {
            if (fs().exists(stagingRoot)) {
                for (FileStatus status : fs().listStatus(stagingRoot)) {
                    leftovers.put(status.getPath(), parts(status.getPath()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return leftovers;
    }

    /** The committed part files of a staging folder; what is still under _temporary never is one. */
    private List<Path> parts(Path staging) {
        try {
            List<Path> parts = new ArrayList<>();
            for (FileStatus status : fs().listStatus(staging)) {
                String name = status.getPath().getName();
                if (status.isFile() && name.startsWith("part-")) {
                    parts.add(status.getPath());
                }
            }
            return parts;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Rows in the part files; fails when an id repeats among them or is already in the output. One query reads the
     * staged ids and the output's once: each id's staged and published count, then their totals. Counting the ids and
     * looking them up in the output read the staged files twice; only a refusal reads them again, to name ids.
     */
    private long check(List<Path> parts, StructType schema, String what) {
        if (parts.isEmpty()) {
            return 0;
        }
        Dataset<Row> ids = spark.read().schema(schema)
                .parquet(parts.stream().map(Path::toString).toArray(String[]::new)).select(JobSchema.ID);
        Dataset<Row> published = spark.read().schema(schema).parquet(output.toString()).select(JobSchema.ID);
        // Null ids are not rows here, as count(id) and a join on id never counted them.
        Dataset<Row> perId = ids.select(col(JobSchema.ID), lit(true).as("in_staging"))
                .unionByName(published.select(col(JobSchema.ID), lit(false).as("in_staging")))
                .where(col(JobSchema.ID).isNotNull())
                .groupBy(JobSchema.ID)
                .agg(count(when(col("in_staging"), 1)).as("staged"),
                        count(when(not(col("in_staging")), 1)).as("published"));
        Row counts = perId.agg(sum("staged"), count(when(col("staged").gt(0), 1)),
                count(when(col("staged").gt(0).and(col("published").gt(0)), 1))).first();
        long rows = counts.isNullAt(0) ? 0 : counts.getLong(0);
        if (rows != counts.getLong(1)) {
            throw new IllegalStateException(what + " holds " + rows + " rows but only " + counts.getLong(1)
                    + " distinct ids; nothing was published");
        }
        if (counts.getLong(2) > 0) {
            List<String> already = ids.join(published, JobSchema.ID, "left_semi").orderBy(JobSchema.ID)
                    .limit(InputIds.NAMED_DUPLICATES).as(Encoders.STRING()).collectAsList();
            throw new IllegalStateException(what + " has rows whose ids are already in the output, e.g. " + already
                    + "; nothing was published");
        }
        return rows;
    }

    /** Renames each part file into the output and removes the staging folder (and staging/, once empty). */
    private void move(List<Path> parts, Path staging) {
        try {
            FileSystem fs = fs();
            for (Path part : parts) {
                Path target = new Path(output, part.getName());
                if (!fs.rename(part, target)) {
                    throw new IOException("could not move " + part + " to " + target);
                }
            }
            fs.delete(staging, true);
            if (fs.listStatus(stagingRoot).length == 0) {
                fs.delete(stagingRoot, false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("publishing " + staging + " into " + output + " failed: "
                    + parts.stream().map(Path::getName).collect(Collectors.joining(", ")), e);
        }
    }

    private FileSystem fs() throws IOException {
        return output.getFileSystem(spark.sparkContext().hadoopConfiguration());
    }
}
