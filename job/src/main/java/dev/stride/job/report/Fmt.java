package dev.stride.job.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Locale;

/** Number formats: readable ones for the HTML and Markdown reports, exact ones for CSV. */
final class Fmt {

    static final String MISSING = "n/a";

    private Fmt() {
    }

    /** Grouped integers; at most two decimals from 1 up, three significant digits below; no trailing zeros. */
    static String readable(Number value) {
        if (value == null) {
            return MISSING;
        }
        if (value instanceof Long || value instanceof Integer) {
            return String.format(Locale.ROOT, "%,d", value.longValue());
        }
        double v = value.doubleValue();
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (v == 0) {
            return "0";
        }
        BigDecimal rounded = Math.abs(v) >= 1 ? new BigDecimal(v).setScale(2, RoundingMode.HALF_UP)
                : new BigDecimal(v).round(new MathContext(3));
        return rounded.stripTrailingZeros().toPlainString();
    }

    /** The shortest text that reads back as the same double, without exponents; empty for a missing value. */
    static String exact(Number value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Long || value instanceof Integer) {
            return value.toString();
        }
        return BigDecimal.valueOf(value.doubleValue()).stripTrailingZeros().toPlainString();
    }
}
