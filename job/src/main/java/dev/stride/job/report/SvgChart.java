package dev.stride.job.report;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Bar charts and histograms as inline SVG: the HTML report stays one self-contained file that renders offline,
 * with no script or web font. Hovering a bar shows its exact value (an SVG title, no JavaScript).
 */
final class SvgChart {

    static final String BLUE = "#4e79a7";
    static final String GREY = "#bab0ac";
    static final String RED = "#e15759";

    private static final int WIDTH = 640;
    private static final int HEIGHT = 280;
    private static final int LEFT = 72;
    private static final int RIGHT = 20;
    private static final int TOP = 36;
    private static final int BOTTOM = 56;
    private static final int PLOT_WIDTH = WIDTH - LEFT - RIGHT;
    private static final int PLOT_HEIGHT = HEIGHT - TOP - BOTTOM;
    private static final int MAX_X_LABELS = 12;

    record Bar(String label, double value, String color) {

        Bar(String label, double value) {
            this(label, value, BLUE);
        }
    }

    /** A vertical line at x, for percentiles and means. */
    record Marker(String label, double x) {
    }

    private SvgChart() {
    }

    static String bars(String title, String xAxis, String yAxis, List<Bar> bars) {
        StringBuilder svg = open(title);
        if (bars.isEmpty()) {
            return noData(svg);
        }
        double top = yAxis(svg, yAxis, bars.stream().mapToDouble(Bar::value).max().orElse(0));
        double slot = (double) PLOT_WIDTH / bars.size();
        int labelEvery = (int) Math.ceil((double) bars.size() / MAX_X_LABELS);
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            double height = bar.value() / top * PLOT_HEIGHT;
            double center = LEFT + (i + 0.5) * slot;
            rect(svg, center - 0.35 * slot, height, 0.7 * slot, bar.color(),
                    bar.label() + ": " + Fmt.readable(bar.value()));
            if (bars.size() <= MAX_X_LABELS) {
                text(svg, center, TOP + PLOT_HEIGHT - height - 4, "middle", Fmt.readable(bar.value()));
            }
            if (i % labelEvery == 0) {
                text(svg, center, TOP + PLOT_HEIGHT + 16, "middle", shorten(bar.label(), slot * labelEvery));
            }
        }
        text(svg, LEFT + PLOT_WIDTH / 2.0, HEIGHT - 12, "middle", xAxis);
        return close(svg);
    }

    static String histogram(String title, String xAxis, String yAxis, Histogram histogram, List<Marker> markers) {
        StringBuilder svg = open(title);
        if (histogram.isEmpty()) {
            return noData(svg);
        }
        long[] counts = histogram.counts();
        double[] edges = histogram.edges();
        double top = yAxis(svg, yAxis, Arrays.stream(counts).max().orElse(0));
        double binWidth = (double) PLOT_WIDTH / counts.length;
        for (int i = 0; i < counts.length; i++) {
            rect(svg, LEFT + i * binWidth, counts[i] / top * PLOT_HEIGHT, Math.max(1, binWidth - 1), BLUE,
                    "[" + Fmt.readable(edges[i]) + ", " + Fmt.readable(edges[i + 1]) + "): " + counts[i]);
        }
        int labelEvery = (int) Math.ceil((double) edges.length / MAX_X_LABELS);
        for (int i = 0; i < edges.length; i += labelEvery) {
            text(svg, LEFT + i * binWidth, TOP + PLOT_HEIGHT + 16, "middle", Fmt.readable(edges[i]));
        }
        double span = edges[edges.length - 1] - edges[0];
        for (int i = 0; i < markers.size(); i++) {
            Marker marker = markers.get(i);
            double x = LEFT + (marker.x() - edges[0]) / span * PLOT_WIDTH;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>%n", x, TOP, x, TOP + PLOT_HEIGHT, RED));
            // Staggered so that close markers (p90, p99) stay readable; labels near the right edge go to the left.
            boolean right = x > LEFT + 0.75 * PLOT_WIDTH;
            text(svg, right ? x - 3 : x + 3, TOP + 10 + 12 * i, right ? "end" : "start",
                    marker.label() + " " + Fmt.readable(marker.x()));
        }
        text(svg, LEFT + PLOT_WIDTH / 2.0, HEIGHT - 12, "middle", xAxis);
        return close(svg);
    }

    private static StringBuilder open(String title) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\""
                + " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"%s\""
                + " font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"11\" fill=\"#333\">%n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, Xml.escape(title)));
        text(svg, LEFT, 20, "start", title, "font-size=\"14\" font-weight=\"bold\"");
        return svg;
    }

    private static String noData(StringBuilder svg) {
        text(svg, WIDTH / 2.0, TOP + PLOT_HEIGHT / 2.0, "middle", "no data");
        return close(svg);
    }

    private static String close(StringBuilder svg) {
        return svg.append("</svg>\n").toString();
    }

    /** Draws gridlines and labels up to a round value at or above max; returns that top value. */
    private static double yAxis(StringBuilder svg, String label, double max) {
        double step = Ticks.step(max / 4);
        double top = Math.max(step, Math.ceil(max / step) * step);
        long ticks = Math.round(top / step);
        for (long i = 0; i <= ticks; i++) {
            double value = i * step;
            double y = TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\""
                    + " stroke=\"#ddd\"/>%n", LEFT, y, LEFT + PLOT_WIDTH, y));
            text(svg, LEFT - 6, y + 4, "end", value == Math.rint(value) ? Fmt.readable((long) value)
                    : Fmt.readable(value));
        }
        svg.append(String.format(Locale.ROOT, "<text transform=\"translate(14 %.1f) rotate(-90)\""
                + " text-anchor=\"middle\">%s</text>%n", TOP + PLOT_HEIGHT / 2.0, Xml.escape(label)));
        return top;
    }

    private static void rect(StringBuilder svg, double x, double height, double width, String color, String tooltip) {
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                + " fill=\"%s\"><title>%s</title></rect>%n", x, TOP + PLOT_HEIGHT - height, width, height, color,
                Xml.escape(tooltip)));
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String text) {
        text(svg, x, y, anchor, text, "");
    }

    private static void text(StringBuilder svg, double x, double y, String anchor, String text, String extra) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" %s>%s</text>%n", x, y,
                anchor, extra, Xml.escape(text)));
    }

    /** The label cut to what fits in {@code width} pixels (about 6.5 per character at this font size). */
    private static String shorten(String label, double width) {
        int fits = Math.max(4, (int) (width / 6.5));
        return label.length() <= fits ? label : label.substring(0, fits - 1) + "…";
    }
}
