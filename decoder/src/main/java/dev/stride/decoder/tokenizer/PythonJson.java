package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The tojson filter transformers registers: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
 * sort_keys=False), arguments by position or name. Jinjava's own tojson printed compact JSON ({"a":1} where Python
 * gives {"a": 1}) and ignored the arguments, so a template printing tools or messages as JSON gave another prompt.
 */
final class PythonJson implements KeywordFilter {

    private static final List<String> PARAMETERS = List.of("ensure_ascii", "indent", "separators", "sort_keys");

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        if (args.length > PARAMETERS.size()) {
            throw new IllegalArgumentException("tojson takes at most " + PARAMETERS.size() + " arguments");
        }
        Object[] given = new Object[PARAMETERS.size()];
        System.arraycopy(args, 0, given, 0, args.length);
        kwargs.forEach((name, arg) -> {
            int i = PARAMETERS.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("tojson got an unexpected keyword argument '" + name + "'");
            }
            given[i] = arg;
        });
        Dumper dumper = new Dumper(Boolean.TRUE.equals(given[0]), indent(given[1]), given[2],
                Boolean.TRUE.equals(given[3]));
        dumper.dump(value, 0);
        return dumper.out.toString();
    }

    /** Python indents by a string, or by that many spaces (a bool is 0 or 1); none puts everything on one line. */
    private static String indent(Object indent) {
        if (indent == null || indent instanceof String) {
            return (String) indent;
        }
        if (indent instanceof Boolean b) {
            return b ? " " : "";
        }
        if (indent instanceof Long || indent instanceof Integer) {
            return " ".repeat(Math.max(0, ((Number) indent).intValue()));
        }
        throw new IllegalArgumentException("tojson indent must be an integer or a string, got "
                + PythonStr.repr(indent));
    }

    /** One json.dumps call. */
    private static final class Dumper {
        final StringBuilder out = new StringBuilder();
        final boolean ensureAscii;
        final String indent;
        final String itemSeparator;
        final String keySeparator;
        final boolean sortKeys;

        Dumper(boolean ensureAscii, String indent, Object separators, boolean sortKeys) {
            this.ensureAscii = ensureAscii;
            this.indent = indent;
            this.sortKeys = sortKeys;
            if (separators == null) {
                // With an indent, lines end after the comma: Python drops the space there.
                itemSeparator = indent == null ? ", " : ",";
                keySeparator = ": ";
            } else {
                List<?> pair = separators instanceof List<?> list ? list : List.of();
                if (pair.size() != 2 || !(pair.get(0) instanceof String) || !(pair.get(1) instanceof String)) {
                    throw new IllegalArgumentException("tojson separators must be an (item, key) pair of strings");
                }
                itemSeparator = (String) pair.get(0);
                keySeparator = (String) pair.get(1);
            }
        }

        void dump(Object value, int level) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof Boolean b) {
                out.append(b ? "true" : "false");
            } else if (value instanceof Number n) {
                out.append(number(n));
            } else if (value instanceof CharSequence s) {
                string(s.toString());
            } else if (value instanceof Map<?, ?> map) {
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                map.forEach((k, v) -> entries.add(new AbstractMap.SimpleEntry<>(key(k), v)));
                if (sortKeys) {
                    entries.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
                }
                container('{', '}', entries, level);
            } else if (value instanceof Collection<?> items) {
                container('[', ']', items, level);
            } else {
                throw new IllegalArgumentException(
                        "Object of type " + value.getClass().getSimpleName() + " is not JSON serializable");
            }
        }

        private void container(char open, char close, Collection<?> items, int level) {
            if (items.isEmpty()) {
                out.append(open).append(close);
                return;
            }
            out.append(open);
            boolean first = true;
            for (Object item : items) {
                if (!first) {
                    out.append(itemSeparator);
                }
                first = false;
                newline(level + 1);
                if (open == '{') {
                    Map.Entry<?, ?> entry = (Map.Entry<?, ?>) item;
                    string((String) entry.getKey());
                    out.append(keySeparator);
                    dump(entry.getValue(), level + 1);
                } else {
                    dump(item, level + 1);
                }
            }
            newline(level);
            out.append(close);
        }

        private void newline(int level) {
            if (indent != null) {
                out.append('\n').append(indent.repeat(level));
            }
        }

        /** Python turns numbers, booleans and None used as keys into their JSON text. */
        private static String key(Object key) {
            if (key == null) {
                return "null";
            }
            if (key instanceof Boolean b) {
                return b ? "true" : "false";
            }
            return key instanceof Number n ? number(n) : key.toString();
        }

        /** Quotes and backslashes and control characters escaped; with ensure_ascii everything beyond ASCII too. */
        private void string(String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20 || ensureAscii && c > 0x7e) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }
    }

    /** A number as Python's json writes it: integers in full, floats as Python's repr. */
    static String number(Number n) {
        if (!(n instanceof Double || n instanceof Float || n instanceof BigDecimal)) {
            return n.toString();
        }
        double d = n.doubleValue();
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return floatRepr(d);
    }

    /** Python's repr of a float: positional from 1e-4 up to 1e16, else d.ddde+XX. */
    static String floatRepr(double d) {
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        BigDecimal shortest = shortest(d).stripTrailingZeros();
        int exponent = shortest.precision() - shortest.scale() - 1;
        if (exponent >= -4 && exponent < 16) {
            String plain = shortest.toPlainString();
            return plain.contains(".") ? plain : plain + ".0";
        }
        String digits = shortest.unscaledValue().abs().toString();
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return (d < 0 ? "-" : "") + mantissa + (exponent < 0 ? "e-" : "e+")
                + String.format("%02d", Math.abs(exponent));
    }

    /**
     * The fewest significant digits that read back as d, the nearer of the two candidates where both do, as Python's
     * repr picks them. Java 17's Double.toString gives more digits for some (9.999999999999999E22 for 1e23).
     */
    private static BigDecimal shortest(double d) {
        BigDecimal exact = new BigDecimal(d);
        for (int digits = 1; ; digits++) {
            BigDecimal down = exact.round(new MathContext(digits, RoundingMode.FLOOR));
            BigDecimal up = exact.round(new MathContext(digits, RoundingMode.CEILING));
            boolean downReadsBack = down.doubleValue() == d;
            boolean upReadsBack = up.doubleValue() == d;
            if (downReadsBack && upReadsBack) {
                return exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            }
            if (downReadsBack || upReadsBack) {
                return downReadsBack ? down : up;
            }
        }
    }
}
