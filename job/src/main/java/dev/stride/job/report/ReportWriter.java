package dev.stride.job.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes the four report files into one directory, replacing earlier ones. */
final class ReportWriter {

    private ReportWriter() {
    }

    static List<Path> write(CostReport report, Path dir) throws IOException {
        SummaryTable table = SummaryTable.of(report);
        Files.createDirectories(dir);
        return List.of(
                write(dir.resolve("report.html"), HtmlReport.render(report, table)),
                write(dir.resolve("report.md"), MarkdownReport.render(report, table)),
                write(dir.resolve("report.csv"), CsvReport.render(table)),
                write(dir.resolve("report.json"), JsonReport.render(report, table)));
    }

    private static Path write(Path file, String content) throws IOException {
        return Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
