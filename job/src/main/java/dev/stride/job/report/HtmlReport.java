package dev.stride.job.report;

import dev.stride.job.report.CostReport.RunCost;
import dev.stride.job.report.SvgChart.Bar;
import dev.stride.job.report.SvgChart.Marker;
import java.util.ArrayList;
import java.util.List;

/** report.html: one self-contained page (inline CSS and SVG, no script), readable offline. */
final class HtmlReport {

    private static final int BINS = 20;
    private static final String STYLE = """
            body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1340px;color:#222;
            background:#fff}
            h1{margin-bottom:4px}.sub{color:#555;margin-top:0}
            .cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
            .card{border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:170px;background:#f7f9fc}
            .card b{display:block;font-size:22px;color:#1f4e79}.card span{color:#555;font-size:13px}
            .charts{display:flex;flex-wrap:wrap;gap:16px}
            .chart{border:1px solid #eee;border-radius:6px;background:#fff;max-width:100%;height:auto}
            table{border-collapse:collapse;margin:8px 0 20px;font-size:13px}
            th,td{border:1px solid #ddd;padding:4px 10px;text-align:left}td.n{text-align:right}
            th{background:#f0f3f7}.warn{color:#a33}dt{font-weight:bold;margin-top:8px}
            """;

    private HtmlReport() {
    }

    static String render(CostReport report, SummaryTable table) {
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
                .append("<title>Stride cost report</title>\n<style>").append(STYLE).append("</style></head>\n<body>\n")
                .append("<h1>Stride cost report</h1>\n<p class=\"sub\">")
                .append(Xml.escape(subtitle(report))).append("</p>\n");
        cards(html, table);
        if (!report.warnings().isEmpty()) {
            html.append("<h2 class=\"warn\">Warnings</h2>\n<ul class=\"warn\">");
            report.warnings().forEach(w -> html.append("<li>").append(Xml.escape(w)).append("</li>"));
            html.append("</ul>\n");
        }
        html.append("<h2>Charts</h2>\n<div class=\"charts\">\n").append(charts(report)).append("</div>\n");
        html.append("<h2>Summary</h2>\n");
        table(html, List.of("metric", "value"), table.metrics().stream()
                .map(m -> List.of(m.label(), Fmt.readable(m.value()))).toList());
        html.append("<h2>Runs</h2>\n");
        table(html, List.of("run", "input", "model", "mode", "device", "executors", "cores/executor", "GPUs/executor",
                "wall s", "output tokens", "tokens/pass", "pass cost ratio", "cost USD", "plain estimate USD"),
                report.runs().stream().map(HtmlReport::runRow).toList());
        html.append("<h2>Executors</h2>\n");
        table(html, List.of("run", "executor", "rows", "output tokens", "busy s", "output tokens/s"),
                executorRows(report));
        html.append("<h2>Failures by error kind</h2>\n");
        table(html, List.of("error kind", "rows"), report.errorsByKind().entrySet().stream()
                .map(e -> List.of(e.getKey(), Fmt.readable(e.getValue()))).toList());
        html.append("<h2>Definitions</h2>\n<dl>\n");
        for (Definitions.Definition d : Definitions.ALL) {
            html.append("<dt>").append(Xml.escape(d.term())).append("</dt><dd>").append(Xml.escape(d.text()))
                    .append("</dd>\n");
        }
        return html.append("</dl>\n</body></html>\n").toString();
    }

    private static String subtitle(CostReport report) {
        return report.runs().size() + " run(s): "
                + String.join(", ", report.runs().stream().map(c -> c.run().summary().runId()).toList())
                + " · prices: GPU-hour " + Fmt.readable(report.prices().gpuHour()) + " USD, CPU core-hour "
                + Fmt.readable(report.prices().cpuHour()) + " USD";
    }

    private static void cards(StringBuilder html, SummaryTable table) {
        html.append("<div class=\"cards\">\n");
        card(html, table, "cost_per_1m_output_tokens_usd", "USD per 1M output tokens");
        card(html, table, "saved_usd", "USD saved vs plain decoding");
        card(html, table, "saved_percent", "% saved vs plain decoding");
        card(html, table, "output_tokens_per_s", "output tokens/s");
        card(html, table, "decode_ms_p50", "ms latency p50");
        card(html, table, "decode_ms_p99", "ms latency p99");
        card(html, table, "rows_failed", "rows failed");
        html.append("</div>\n");
    }

    private static void card(StringBuilder html, SummaryTable table, String key, String caption) {
        html.append("<div class=\"card\"><b>").append(Fmt.readable(table.value(key))).append("</b><span>")
                .append(Xml.escape(caption)).append("</span></div>\n");
    }

    private static String charts(CostReport report) {
        List<Bar> executors = new ArrayList<>();
        for (int i = 0; i < report.runs().size(); i++) {
            String prefix = report.runs().size() > 1 ? (i + 1) + ":" : "";
            report.runs().get(i).run().summary().perExecutor()
                    .forEach(e -> executors.add(new Bar(prefix + e.executor(), e.outputTokensPerS())));
        }
        List<Bar> costs = new ArrayList<>();
        if (report.costPerMillionTokens() != null) {
            costs.add(new Bar("Stride", report.costPerMillionTokens()));
            costs.add(new Bar("plain decoding (estimate)", report.plainCostPerMillionTokens(), SvgChart.GREY));
        }
        long[] accepted = report.acceptHistogram();
        List<Bar> acceptance = new ArrayList<>();
        for (int i = 0; i < accepted.length; i++) {
            acceptance.add(new Bar(String.valueOf(i + 1), accepted[i]));
        }
        List<Marker> meanPass = report.meanTokensPerPass() == null ? List.of()
                : List.of(new Marker("mean", report.meanTokensPerPass()));
        Percentiles latency = report.latency();
        List<Marker> percentiles = latency.p50() == null ? List.of() : List.of(new Marker("p50", latency.p50()),
                new Marker("p90", latency.p90()), new Marker("p99", latency.p99()));
        List<Bar> failures = report.errorsByKind().entrySet().stream()
                .map(e -> new Bar(e.getKey(), e.getValue(), SvgChart.RED)).toList();
        return SvgChart.bars("Cost per 1M output tokens", "", "USD", costs)
                + SvgChart.bars("Throughput per executor", "executor", "output tokens/s", executors)
                + SvgChart.histogram("Tokens per pass (rows)", "tokens per decode pass", "rows",
                        Histogram.of(report.tokensPerPass(), BINS), meanPass)
                + SvgChart.bars("Acceptance histogram (all rows)", "tokens yielded by a decode pass", "decode passes",
                        acceptance)
                + SvgChart.histogram("Latency (decode_ms, ok rows)", "ms from admission to finish", "rows",
                        Histogram.of(report.decodeMs(), BINS), percentiles)
                + SvgChart.bars("Failures by error kind", "error kind", "rows", failures);
    }

    private static List<String> runRow(RunCost cost) {
        RunSummaryFile s = cost.run().summary();
        return List.of(s.runId(), cost.run().location(), s.model() == null ? "" : s.model().name(), s.mode(),
                String.valueOf(s.device()), Fmt.readable(s.executors()), Fmt.readable(s.coresPerExecutor()),
                Fmt.readable(s.gpusPerExecutor()), Fmt.readable(s.wallSeconds()), Fmt.readable(s.completionTokens()),
                Fmt.readable(s.meanTokensPerPass()), Fmt.readable(s.passCostRatio()), Fmt.readable(cost.cost()),
                Fmt.readable(cost.plainCost()));
    }

    private static List<List<String>> executorRows(CostReport report) {
        List<List<String>> rows = new ArrayList<>();
        for (RunCost cost : report.runs()) {
            for (RunSummaryFile.ExecutorFigures e : cost.run().summary().perExecutor()) {
                rows.add(List.of(cost.run().summary().runId(), e.executor(), Fmt.readable(e.rows()),
                        Fmt.readable(e.completionTokens()), Fmt.readable(e.busySeconds()),
                        Fmt.readable(e.outputTokensPerS())));
            }
        }
        return rows;
    }

    /** Cells that read as numbers (or n/a) are right-aligned. */
    private static void table(StringBuilder html, List<String> headers, List<List<String>> rows) {
        if (rows.isEmpty()) {
            html.append("<p>none</p>\n");
            return;
        }
        html.append("<table><tr>");
        headers.forEach(h -> html.append("<th>").append(Xml.escape(h)).append("</th>"));
        html.append("</tr>\n");
        for (List<String> row : rows) {
            html.append("<tr>");
            for (String cell : row) {
                boolean numeric = cell.matches("-?[\\d,.]+") || cell.equals(Fmt.MISSING);
                html.append(numeric ? "<td class=\"n\">" : "<td>").append(Xml.escape(cell)).append("</td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }
}
