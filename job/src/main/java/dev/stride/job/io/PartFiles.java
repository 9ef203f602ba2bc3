package dev.stride.job.io;

import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.Footer;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.types.StructType;

/**
 * The Parquet files of an output that --resume reads, checked before any work: a file cut short (a copy or an
 * upload that stopped) made the resume fail inside a Spark task, the file named deep in the exception's causes.
 */
final class PartFiles {

    /** Footers read at once. */
    private static final int READERS = 16;

    private PartFiles() {
    }

    /** The files Spark reads as the dataset in {@code folder}: those whose names do not start with _ or . */
    static List<Path> data(Configuration conf, Path folder) {
        List<Path> files = new ArrayList<>();
        try {
            for (FileStatus status : folder.getFileSystem(conf).listStatus(folder)) {
                String name = status.getPath().getName();
                if (status.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
                    files.add(status.getPath());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /**
     * Reads each file's footer (on the driver: a few small reads a file), which a truncated or corrupt file fails; a
     * damaged data page behind a whole footer still fails its task. {@link #READERS} files at a time: on an object
     * store each read waits tens of milliseconds, and an output holds a file per task of every run that wrote it.
     * The first bad file in list order is the one named.
     */
    static void requireReadable(Configuration conf, List<Path> files) {
        readFooters(conf, files, (file, footer) -> file);
    }

    /**
     * The columns Spark reads from each file, from its footer as {@link #requireReadable} reads it: Spark's schema
     * inference ({@code spark.read().parquet(file).schema()}) started a Spark job per file. Spark's own reading of a
     * footer: the Spark schema it wrote into the footer's metadata, else the Parquet schema converted by
     * {@code converter} (a file another writer wrote).
     */
    static List<StructType> sparkSchemas(Configuration conf, List<Path> files,
                                         ParquetToSparkSchemaConverter converter) {
        return readFooters(conf, files,
                (file, footer) -> ParquetFileFormat.readSchemaFromFooter(new Footer(file, footer), converter));
    }

    private static <T> List<T> readFooters(Configuration conf, List<Path> files,
                                           BiFunction<Path, ParquetMetadata, T> read) {
        ExecutorService readers = Executors.newFixedThreadPool(Math.max(1, Math.min(READERS, files.size())),
                DaemonThreads.named("stride-footer-reader"));
        try {
            List<Future<Read<T>>> reads = new ArrayList<>();
            for (Path file : files) {
                reads.add(readers.submit(() -> read(conf, file, read)));
            }
            List<T> values = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                Read<T> footer = reads.get(i).get();
                if (footer.problem() != null) {
                    throw new JobSetupException("output file " + files.get(i) + " is not a readable Parquet file ("
                            + footer.problem() + "); --resume reads every file of the output: restore or delete it "
                            + "(its rows are then generated again)");
                }
                values.add(footer.value());
            }
            return values;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the output's files", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            readers.shutdownNow();
        }
    }

    /** What was read from a file's footer, or why its footer cannot be read. */
    private record Read<T>(T value, Exception problem) {
    }

    private static <T> Read<T> read(Configuration conf, Path file, BiFunction<Path, ParquetMetadata, T> read) {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            return new Read<>(read.apply(file, reader.getFooter()), null);
        } catch (IOException | RuntimeException e) {
            return new Read<>(null, e);
        }
    }
}
