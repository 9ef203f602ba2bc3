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
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;

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
        ExecutorService readers = Executors.newFixedThreadPool(Math.max(1, Math.min(READERS, files.size())),
                DaemonThreads.named("stride-footer-reader"));
        try {
            List<Future<Exception>> problems = new ArrayList<>();
            for (Path file : files) {
                problems.add(readers.submit(() -> footerProblem(conf, file)));
            }
            for (int i = 0; i < files.size(); i++) {
                Exception problem = problems.get(i).get();
                if (problem != null) {
                    throw new JobSetupException("output file " + files.get(i) + " is not a readable Parquet file ("
                            + problem + "); --resume reads every file of the output: restore or delete it (its rows "
                            + "are then generated again)");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the output's files", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            readers.shutdownNow();
        }
    }

    /** Why the file's footer cannot be read, or null when it can. */
    private static Exception footerProblem(Configuration conf, Path file) {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
            reader.getFooter();
            return null;
        } catch (IOException | RuntimeException e) {
            return e;
        }
    }
}
