package dev.stride.job.io;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.types.StructType;

/**
 * Every input row's id, unique across the input.
 *
 * <p>The id is the id column as string, or, without one (and for rows whose id is null), one derived from where the
 * row sits: {@code <file>:<row>}, where file is the Parquet file's path below the input root without
 * {@code .parquet} (just its name for files directly in the root, so two files of the same name in different
 * folders get different ids) and row its position in that file. The root is the --input folder, a file's folder, or
 * for a glob the folders before its first wildcard; no partitioning, split, retry or other input file changes it.
 *
 * <p>An id that names more than one row is an error before any work, naming the first few; with --dedupe first each
 * id keeps its first row, in input file order (by path) and then row order, and the rows dropped are counted.
 */
public final class InputIds {

    /** The id column added to the input rows; {@link InputTable} renames it to {@link JobSchema#ID}. */
    static final String COLUMN = JobSchema.RESERVED_PREFIX + "id";
    /** Duplicate ids named in the error. */
    static final int NAMED_DUPLICATES = 5;
    private static final String FILE = JobSchema.RESERVED_PREFIX + "file";
    private static final String ROW = JobSchema.RESERVED_PREFIX + "row";
    private static final String OCCURRENCE = JobSchema.RESERVED_PREFIX + "occurrence";

    private InputIds() {
    }

    /** The input rows with their id in {@link #COLUMN}, and how many duplicate rows --dedupe first dropped. */
    public record Identified(Dataset<Row> rows, long duplicatesDropped) {
    }

    public static Identified identify(SparkSession spark, Dataset<Row> input, String idColumn, JobConfig config) {
        // By the Dataset, not col("_metadata"): an input column of that name would hide the file's metadata.
        Column metadata = input.metadataColumn("_metadata");
        String root = root(spark, config.input());
        Column derived = concat(fileKey(root, metadata.getField("file_path"), metadata.getField("file_name")),
                lit(":"), metadata.getField("row_index").cast("string"));
        Column id = idColumn == null ? derived : coalesce(InputTable.column(idColumn).cast("string"), derived);
        Dataset<Row> rows = input.select(col("*"), id.as(COLUMN), metadata.getField("file_path").as(FILE),
                metadata.getField("row_index").as(ROW));

        if (idColumn == null && fileKeysDistinct(spark, root, input.inputFiles())) {
            return new Identified(rows.drop(FILE, ROW), 0);
        }
        Row duplicates = rows.groupBy(COLUMN).count().filter(col("count").gt(1))
                .agg(count(lit(1)), sum(col("count").minus(1))).first();
        long duplicateIds = duplicates.getLong(0);
        if (duplicateIds == 0) {
            return new Identified(rows.drop(FILE, ROW), 0);
        }
        long extraRows = duplicates.getLong(1);
        if (!config.dedupeFirst()) {
            throw new JobSetupException(duplicateError(rows, duplicateIds, extraRows, config.input()));
        }
        Dataset<Row> first = rows.withColumn(OCCURRENCE, row_number().over(
                        Window.partitionBy(COLUMN).orderBy(col(FILE), col(ROW))))
                .filter(col(OCCURRENCE).equalTo(1))
                .drop(OCCURRENCE, FILE, ROW);
        return new Identified(first, extraRows);
    }

    private static String duplicateError(Dataset<Row> rows, long duplicateIds, long extraRows, String input) {
        List<Row> named = rows.groupBy(COLUMN).count().filter(col("count").gt(1)).orderBy(COLUMN)
                .limit(NAMED_DUPLICATES).collectAsList();
        String examples = named.stream().map(row -> "'" + row.getString(0) + "' (" + row.getLong(1) + " rows)")
                .collect(Collectors.joining(", "));
        return "input " + input + " has " + duplicateIds + " ids that name more than one row (" + extraRows
                + " extra rows), first " + named.size() + " by id: " + examples + "; ids must be unique, or pass "
                + "--dedupe first to keep each id's first row (input file order, then row order)";
    }

    /**
     * Whether derived ids ({@code <file key>:<row>}) are unique by their files alone: the row is unique within its
     * file and the id splits at its last ':' into key and row, so two ids are the same only when two files have the
     * same key ("a" and "a.parquet"). Checked on the driver's file list, which spares a scan of the input and a
     * shuffle of every row's id; when keys repeat, the rows are checked, since a file without rows repeats no id.
     */
    private static boolean fileKeysDistinct(SparkSession spark, String root, String[] files) {
        // The file metadata Spark gives each row: the file's URI as listed, and the name of its path.
        List<Row> metadata = Arrays.stream(files)
                .map(file -> RowFactory.create(file, new Path(URI.create(file)).getName())).toList();
        Dataset<Row> listed = spark.createDataFrame(metadata, StructType.fromDDL("path STRING, name STRING"));
        Set<String> keys = new HashSet<>();
        for (Row key : listed.select(fileKey(root, col("path"), col("name"))).collectAsList()) {
            keys.add(key.getString(0));
        }
        return keys.size() == files.length;
    }

    /** The file's part of its rows' derived ids: its path below the input root without {@code .parquet}. */
    private static Column fileKey(String root, Column filePath, Column fileName) {
        return regexp_replace(relativePath(root, filePath, fileName), "\\.parquet$", "");
    }

    /**
     * The file's path below the input root, from Spark's {@code _metadata.file_path} (a URI whose path is encoded
     * like Hadoop's {@code Path.toUri()}); its name when it is not below the root.
     */
    private static Column relativePath(String root, Column filePath, Column fileName) {
        Column relative = regexp_extract(filePath, "^[^:/]+:(//[^/]*)?" + Pattern.quote(root) + "/(.+)$", 2);
        return when(relative.equalTo(""), fileName).otherwise(relative);
    }

    /** The encoded path of the input root, without a trailing slash. */
    static String root(SparkSession spark, String input) {
        Path path = new Path(input);
        try {
            FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
            Path root = fs.makeQualified(path);
            if (hasWildcard(root.toUri().getPath())) {
                while (root.getParent() != null && hasWildcard(root.toUri().getPath())) {
                    root = root.getParent();
                }
            } else if (fs.exists(root) && fs.getFileStatus(root).isFile()) {
                root = root.getParent();
            }
            String raw = root.toUri().getRawPath();
            return raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot look at input " + input, e);
        }
    }

    private static boolean hasWildcard(String path) {
        return path.matches(".*[*?\\[{].*");
    }
}
