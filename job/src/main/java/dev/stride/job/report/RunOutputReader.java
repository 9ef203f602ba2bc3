package dev.stride.job.report;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads a run's output directory: {@code _stride/summary.json} and the Parquet part files beside it. Paths go through
 * Hadoop's FileSystem, so an HDFS (or, with its connector on the classpath, object store) output reads the same way.
 */
final class RunOutputReader {

    static final String SUMMARY = "_stride/summary.json";

    private final Configuration conf = new Configuration();
    private final ParquetRowReader rowReader = new ParquetRowReader(conf);

    /** Reads the summary, then feeds every row to {@code stats}. */
    Run read(String location, RowStats stats) {
        try {
            Path dir = new Path(location); // throws IllegalArgumentException for "" or "run:1" (a scheme-less URI)
            FileSystem fs = dir.getFileSystem(conf);
            requireDirectory(fs, dir, location);
            RunSummaryFile summary = summary(fs, new Path(dir, SUMMARY), location);
            List<Path> parts = new ArrayList<>();
            collectParts(fs, dir, parts);
            parts.sort(null); // a stable row order in report.json
            if (parts.isEmpty() && summary.rowsTotal() > 0) {
                throw new ReportInputException(location + ": the summary counts " + summary.rowsTotal()
                        + " rows but there are no Parquet part files");
            }
            for (Path part : parts) {
                rowReader.read(part, stats::add);
            }
            return new Run(location, summary);
        } catch (ReportInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ReportInputException("cannot read " + location + ": " + e.getMessage(), e);
        }
    }

    private static void requireDirectory(FileSystem fs, Path dir, String location) throws IOException {
        FileStatus status;
        try {
            status = fs.getFileStatus(dir);
        } catch (FileNotFoundException e) {
            throw new ReportInputException("input directory not found: " + location);
        }
        if (!status.isDirectory()) {
            throw new ReportInputException(location
                    + " is not a directory; --input takes the job's --output directory");
        }
    }

    private static RunSummaryFile summary(FileSystem fs, Path file, String location) throws IOException {
        if (!fs.exists(file)) {
            throw new ReportInputException("no run summary at " + file + ": either " + location
                    + " is not a Stride job output, or the run did not finish (rerun the job with --resume)");
        }
        try (InputStream in = fs.open(file)) {
            return RunSummaryFile.parse(in);
        } catch (IOException e) {
            throw new ReportInputException(file + " is not a valid Stride run summary: " + e.getMessage(), e);
        }
    }

    // Spark's committer leaves _SUCCESS, .crc files and our _stride folder beside the part files; all are skipped.
    private static void collectParts(FileSystem fs, Path dir, List<Path> parts) throws IOException {
        for (FileStatus status : fs.listStatus(dir)) {
            String name = status.getPath().getName();
            if (name.startsWith("_") || name.startsWith(".")) {
                continue;
            }
            if (status.isDirectory()) {
                collectParts(fs, status.getPath(), parts);
            } else if (name.endsWith(".parquet")) {
                parts.add(status.getPath());
            }
        }
    }
}
