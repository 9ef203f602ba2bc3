package dev.stride.job.report;

/** report.md: the summary table and failures in Markdown, for job logs, tickets and pull requests. */
final class MarkdownReport {

    private MarkdownReport() {
    }

    static String render(CostReport report, SummaryTable table) {
        StringBuilder md = new StringBuilder("# Stride cost report\n\n");
        for (CostReport.RunCost cost : report.runs()) {
            RunSummaryFile s = cost.run().summary();
            md.append("- run ").append(Markdown.code(s.runId())).append(" (").append(s.mode()).append(", ")
                    .append(s.model() == null ? "?" : Markdown.code(s.model().name())).append("): ")
                    .append(Markdown.code(cost.run().location())).append('\n');
        }
        report.warnings().forEach(w -> md.append("\n**Warning:** ").append(w).append('\n'));
        md.append("\n| metric | value |\n|---|---:|\n");
        table.metrics().forEach(m -> md.append("| ").append(m.label()).append(" | ").append(Fmt.readable(m.value()))
                .append(" |\n"));
        md.append("\n## Failures by error kind\n\n");
        if (report.errorsByKind().isEmpty()) {
            md.append("none\n");
        } else {
            md.append("| error kind | rows |\n|---|---:|\n");
            report.errorsByKind().forEach((kind, rows) -> md.append("| ").append(Markdown.cell(kind)).append(" | ")
                    .append(Fmt.readable(rows)).append(" |\n"));
        }
        md.append("\n## Definitions\n\n");
        Definitions.ALL.forEach(d -> md.append("- **").append(d.term()).append("**: ").append(d.text()).append('\n'));
        return md.toString();
    }
}
