package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The Python str and dict methods that chat templates call, with Python's semantics. Jinjava finds methods on the
 * Java object instead: most str methods were missing (startswith, lstrip ... an error), and the rest differ silently
 * (Java's split takes a regular expression and drops trailing empty strings: 'x</think>'.split('</think>')[-1] was
 * 'x', not ''); dict.get(key, default) was missing; a string's s[0] was ''.
 */
final class PythonMethods extends ELResolver {

    private static final Pattern INDEX = Pattern.compile("-?[0-9]{1,18}");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) {
            result = strMethod(s, String.valueOf(method), args);
        } else if (base instanceof Map<?, ?> map && "get".equals(method) && args.length == 2) {
            result = map.containsKey(args[0]) ? map.get(args[0]) : args[1];
        } else {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static Object strMethod(String s, String method, Object[] args) {
        return switch (method + "/" + args.length) {
            case "startswith/1" -> anyAffix(args[0], s::startsWith);
            case "endswith/1" -> anyAffix(args[0], s::endsWith);
            case "strip/0", "strip/1" -> rstrip(lstrip(s, args), args);
            case "lstrip/0", "lstrip/1" -> lstrip(s, args);
            case "rstrip/0", "rstrip/1" -> rstrip(s, args);
            case "upper/0" -> s.toUpperCase(Locale.ROOT);
            case "lower/0" -> s.toLowerCase(Locale.ROOT);
            case "title/0" -> title(s);
            case "capitalize/0" -> s.isEmpty() ? s
                    : Character.toString(Character.toTitleCase(s.codePointAt(0)))
                            + s.substring(Character.charCount(s.codePointAt(0))).toLowerCase(Locale.ROOT);
            case "split/0" -> split(s, null, -1);
            case "split/1" -> split(s, (String) args[0], -1);
            case "split/2" -> split(s, (String) args[0], ((Number) args[1]).intValue());
            case "replace/2" -> s.replace((String) args[0], (String) args[1]);
            default -> throw new IllegalArgumentException(
                    "the chat template calls str." + method + " with " + args.length + " arguments: not supported");
        };
    }

    /**
     * Jinja2's trim filter, which is str.strip(chars). Jinjava's trimmed as Java's String.trim: control characters
     * went and no-break or ideographic spaces stayed, the opposite of Python, in Llama 3.x's content | trim.
     */
    static final class Trim implements Filter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            return filter(value, interpreter, args, Map.of());
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object[] chars = {args.length > 0 ? args[0] : kwargs.get("chars")};
            return rstrip(lstrip(PythonStr.str(value), chars), chars);
        }
    }

    /** Jinja2's items filter: a dict's (key, value) pairs, none for an undefined value. */
    static final class Items implements Filter {
        @Override
        public String getName() {
            return "items";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
            if (value == null) {
                return List.of();
            }
            if (value instanceof Map<?, ?> dict) {
                return new ArrayList<>(dict.entrySet());
            }
            throw new IllegalArgumentException("the chat template's items filter needs a dict, got "
                    + value.getClass().getSimpleName());
        }
    }

    /** Python's str.title: a cased character after a cased one goes lower case, any other title case (3rd: 3Rd). */
    private static String title(String s) {
        StringBuilder out = new StringBuilder();
        boolean afterCased = false;
        for (int i = 0; i < s.length(); i += Character.charCount(s.codePointAt(i))) {
            int c = s.codePointAt(i);
            out.appendCodePoint(afterCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            afterCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return out.toString();
    }

    /** A prefix or suffix, or a tuple (a list in Jinjava) of them. */
    private static boolean anyAffix(Object affix, Predicate<String> test) {
        if (affix instanceof List<?> list) {
            return list.stream().anyMatch(a -> test.test((String) a));
        }
        return test.test((String) affix);
    }

    private static String lstrip(String s, Object[] args) {
        int start = 0;
        while (start < s.length() && stripped(s.charAt(start), args)) {
            start++;
        }
        return s.substring(start);
    }

    private static String rstrip(String s, Object[] args) {
        int end = s.length();
        while (end > 0 && stripped(s.charAt(end - 1), args)) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Without chars (or with None), Python strips whitespace as str.isspace defines it. */
    private static boolean stripped(char c, Object[] args) {
        if (args.length == 0 || args[0] == null) {
            return isSpace(c);
        }
        return ((String) args[0]).indexOf(c) >= 0;
    }

    /** Python's str.isspace: Java's whitespace plus the no-break spaces and U+0085, which Java leaves out. */
    static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    /** Python's str.split: on a literal separator keeping empty parts, or (sep None) on runs of whitespace. */
    private static List<String> split(String s, String sep, int maxSplit) {
        List<String> parts = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i == s.length()) {
                    return parts;
                }
                if (maxSplit >= 0 && parts.size() == maxSplit) {
                    parts.add(rstrip(s.substring(i), new Object[0]));
                    return parts;
                }
                int end = i;
                while (end < s.length() && !isSpace(s.charAt(end))) {
                    end++;
                }
                parts.add(s.substring(i, end));
                i = end;
            }
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("the chat template calls str.split with an empty separator");
        }
        int from = 0;
        for (int at = s.indexOf(sep); at >= 0 && (maxSplit < 0 || parts.size() < maxSplit); at = s.indexOf(sep, from)) {
            parts.add(s.substring(from, at));
            from = at + sep.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    /**
     * s[i] on a string: the character, counted from the end when negative; out of range is undefined (null). Jinjava
     * hands the index over as text.
     */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        if (!(base instanceof String s) || property == null || !INDEX.matcher(property.toString()).matches()) {
            return null;
        }
        context.setPropertyResolved(true);
        long index = Long.parseLong(property.toString());
        long i = index < 0 ? index + s.length() : index;
        return i >= 0 && i < s.length() ? String.valueOf(s.charAt((int) i)) : null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
