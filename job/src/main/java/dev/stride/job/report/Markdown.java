package dev.stride.job.report;

/** Escaping for text from the data (run ids, paths, model names, error kinds) placed in report.md. */
final class Markdown {

    private Markdown() {
    }

    /** A table cell: an unescaped pipe would start another cell, a line break would end the row. */
    static String cell(String text) {
        return oneLine(text).replace("\\", "\\\\").replace("|", "\\|");
    }

    /**
     * An inline code span, fenced by one backtick more than the longest run of backticks in the text, and padded
     * with spaces when the text starts or ends with one, so a backtick in the text cannot close the span early.
     */
    static String code(String text) {
        String line = oneLine(text);
        int longest = 0;
        int run = 0;
        for (char c : line.toCharArray()) {
            run = c == '`' ? run + 1 : 0;
            longest = Math.max(longest, run);
        }
        String fence = "`".repeat(longest + 1);
        String pad = line.startsWith("`") || line.endsWith("`") ? " " : "";
        return fence + pad + line + pad + fence;
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\R", " ");
    }
}
