package dev.stride.job.io;

import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
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
     * damaged data page behind a whole footer still fails its task.
     */
    static void requireReadable(Configuration conf, List<Path> files) {
        for (Path file : files) {
            try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
                reader.getFooter();
            } catch (IOException | RuntimeException e) {
                throw new JobSetupException("output file " + file + " is not a readable Parquet file (" + e
                        + "); --resume reads every file of the output: restore or delete it (its rows are then "
                        + "generated again)");
            }
        }
    }
}
