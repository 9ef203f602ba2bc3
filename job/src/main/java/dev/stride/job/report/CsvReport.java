package dev.stride.job.report;

/** report.csv: the summary table as metric,value rows with exact values, for pipelines. */
final class CsvReport {

    private CsvReport() {
    }

    static String render(SummaryTable table) {
        StringBuilder csv = new StringBuilder("metric,value\n");
        table.metrics().forEach(m -> csv.append(m.key()).append(',').append(Fmt.exact(m.value())).append('\n'));
        return csv.toString();
    }
}
