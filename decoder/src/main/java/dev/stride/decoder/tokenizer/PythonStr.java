package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;

import java.util.Collection;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Values printed as Jinja2 prints them, with Python's str: True and False, floats as repr, lists and dicts with each
 * item's repr ('quoted', None). Jinjava printed true, false, 1.0E20, [1, a, null] and {role=system}. Jinjava has one
 * null for None and for an undefined variable; Jinja2 prints the first as "None" and the second as '', and templates
 * print undefined variables (a bos_token the model lacks) far more often than None, so a lone null prints ''.
 */
final class PythonStr {

    private PythonStr() {
    }

    static String str(Object value) {
        if (value == null) {
            return "";
        }
        return value instanceof CharSequence s ? s.toString() : repr(value);
    }

    static String repr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : PythonJson.floatRepr(d);
        }
        if (value instanceof CharSequence s) {
            return quoted(s.toString());
        }
        if (value instanceof Map<?, ?> map) {
            StringJoiner items = new StringJoiner(", ", "{", "}");
            map.forEach((k, v) -> items.add(repr(k) + ": " + repr(v)));
            return items.toString();
        }
        if (value instanceof Map.Entry<?, ?> item) {
            // dict.items() yields (key, value) tuples.
            return "(" + repr(item.getKey()) + ", " + repr(item.getValue()) + ")";
        }
        if (value instanceof Collection<?> list) {
            StringJoiner items = new StringJoiner(", ", "[", "]");
            list.forEach(item -> items.add(repr(item)));
            return items.toString();
        }
        return value.toString();
    }

    /** Python's str repr: single quotes unless only double quotes avoid escaping; unprintables escaped. */
    private static String quoted(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder out = new StringBuilder().append(quote);
        s.codePoints().forEach(c -> {
            if (c == quote || c == '\\') {
                out.append('\\').append((char) c);
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else if (c == '\t') {
                out.append("\\t");
            } else if (printable(c)) {
                out.appendCodePoint(c);
            } else {
                out.append(c < 0x100 ? String.format("\\x%02x", c)
                        : c < 0x10000 ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
            }
        });
        return out.append(quote).toString();
    }

    /** Python's str.isprintable: no control, format, surrogate, private, unassigned or separator (but ' '). */
    private static boolean printable(int c) {
        return c == ' ' || switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                    Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Jinja2's string filter: the value's str, as {{ x }} prints it. */
    static final class StringFilter implements Filter {
        @Override
        public String getName() {
            return "string";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return str(value);
        }
    }

    /**
     * Jinja2's join(d='', attribute=None): the str of each item (or of its attribute) joined by d. Jinjava's took
     * Java's toString of each item, did not iterate a string and joined a dict's values.
     */
    static final class JoinFilter implements KeywordFilter {
        @Override
        public String getName() {
            return "join";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            String separator = str(args.length > 0 ? args[0] : kwargs.getOrDefault("d", ""));
            Object attribute = args.length > 1 ? args[1] : kwargs.get("attribute");
            StringJoiner joined = new StringJoiner(separator);
            // Python iterates a string's characters and a dict's keys; Jinjava's loop neither.
            ForLoop items = ObjectIterator.getLoop(value instanceof String s
                    ? s.codePoints().mapToObj(Character::toString).toList()
                    : value instanceof Map<?, ?> dict ? dict.keySet() : value);
            while (items.hasNext()) {
                Object item = items.next();
                joined.add(str(attribute == null ? item : interpreter.resolveProperty(item, str(attribute))));
            }
            return joined.toString();
        }
    }

    /** The expression output {{ x }}. */
    static final class Interpreters implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter parent) {
            return new Interpreter(parent);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava jinjava, Context context, JinjavaConfig config) {
            return new Interpreter(jinjava, context, config);
        }
    }

    private static final class Interpreter extends JinjavaInterpreter {
        Interpreter(JinjavaInterpreter parent) {
            super(parent);
        }

        Interpreter(Jinjava jinjava, Context context, JinjavaConfig config) {
            super(jinjava, context, config);
        }

        @Override
        public String getAsString(Object value) {
            return str(value);
        }
    }

    /** Strings made by the expression language, as x ~ y does. */
    static final class Converter extends TruthyTypeConverter {
        private static final long serialVersionUID = 1L;

        @Override
        protected String coerceToString(Object value) {
            return str(value);
        }
    }
}
