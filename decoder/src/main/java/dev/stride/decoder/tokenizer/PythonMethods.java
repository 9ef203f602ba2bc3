package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.el.ext.NamedParameter;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The Python str and dict methods that chat templates call, with Python's semantics. Jinjava finds methods on the
 * Java object instead: most str methods were missing (startswith, lstrip ... an error), and the rest differ silently
 * (Java's split takes a regular expression and drops trailing empty strings: 'x</think>'.split('</think>')[-1] was
 * 'x', not ''); dict.get(key, default) was missing; a string's s[0] was ''. A method's refusal is an ELException:
 * Jinjava reads an IllegalArgumentException from a resolver's invoke as "no such method" and drops its message.
 */
final class PythonMethods extends ReadOnlyResolver {

    private static final Pattern INDEX = Pattern.compile("-?[0-9]{1,18}");

    /** The first and last of each range of Unicode's numeric type Digit outside the decimal digits (Unicode 14). */
    private static final int[] OTHER_DIGITS = {0xb2, 0xb3, 0xb9, 0xb9, 0x1369, 0x1371, 0x19da, 0x19da, 0x2070, 0x2070,
        0x2074, 0x2079, 0x2080, 0x2089, 0x2460, 0x2468, 0x2474, 0x247c, 0x2488, 0x2490, 0x24ea, 0x24ea, 0x24f5, 0x24fd,
        0x24ff, 0x24ff, 0x2776, 0x277e, 0x2780, 0x2788, 0x278a, 0x2792, 0x10a40, 0x10a43, 0x10e60, 0x10e68, 0x11052,
        0x1105a, 0x1f100, 0x1f10a};

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
        if ("format".equals(method)) {
            return format(s, args);
        }
        return switch (method + "/" + args.length) {
            case "startswith/1" -> anyAffix(method, args[0], s::startsWith);
            case "endswith/1" -> anyAffix(method, args[0], s::endsWith);
            case "strip/0", "strip/1" -> rstrip(lstrip(s, chars(method, args)), chars(method, args));
            case "lstrip/0", "lstrip/1" -> lstrip(s, chars(method, args));
            case "rstrip/0", "rstrip/1" -> rstrip(s, chars(method, args));
            case "upper/0" -> s.toUpperCase(Locale.ROOT);
            case "lower/0" -> s.toLowerCase(Locale.ROOT);
            case "title/0" -> title(s);
            case "capitalize/0" -> s.isEmpty() ? s
                    : Character.toString(Character.toTitleCase(s.codePointAt(0)))
                            + s.substring(Character.charCount(s.codePointAt(0))).toLowerCase(Locale.ROOT);
            case "split/0" -> split(s, null, -1);
            case "split/1" -> split(s, textOrNone(method, args[0]), -1);
            case "split/2" -> split(s, textOrNone(method, args[0]), maxSplit(method, args[1]));
            case "rsplit/0" -> rsplit(s, null, -1);
            case "rsplit/1" -> rsplit(s, textOrNone(method, args[0]), -1);
            case "rsplit/2" -> rsplit(s, textOrNone(method, args[0]), maxSplit(method, args[1]));
            case "replace/2" -> s.replace(text(method, args[0]), text(method, args[1]));
            case "join/1" -> join(s, args[0]);
            case "find/1" -> find(s, text(method, args[0]), 0);
            case "find/2" -> find(s, text(method, args[0]), args[1] == null ? 0 : integer(method, args[1]));
            case "count/1" -> count(s, text(method, args[0]));
            case "isdigit/0" -> !s.isEmpty() && s.codePoints().allMatch(PythonMethods::isDigit);
            case "removeprefix/1" -> removePrefix(s, text(method, args[0]));
            case "removesuffix/1" -> removeSuffix(s, text(method, args[0]));
            default -> throw new ELException(
                    "the chat template calls str." + method + " with " + args.length + " arguments: not supported");
        };
    }

    /**
     * Jinja2's trim filter, which is str.strip(chars). Jinjava's trimmed as Java's String.trim: control characters
     * went and no-break or ideographic spaces stayed, the opposite of Python, in Llama 3.x's content | trim.
     */
    static final class Trim implements KeywordFilter {
        @Override
        public String getName() {
            return "trim";
        }

        @Override
        public Object filter(Object value, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            String chars = textOrNone("strip", args.length > 0 ? args[0] : kwargs.get("chars"));
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
    private static boolean anyAffix(String method, Object affix, Predicate<String> test) {
        if (affix instanceof List<?> list) {
            return list.stream().anyMatch(a -> test.test(text(method, a)));
        }
        return test.test(text(method, affix));
    }

    /** An argument that must be a str: Python refuses any other type (a TypeError), naming the method. */
    private static String text(String method, Object arg) {
        if (arg instanceof String text) {
            return text;
        }
        throw new ELException("the chat template calls str." + method + " with " + PythonStr.repr(arg)
                + " where a string is expected");
    }

    /** An argument that may be a str or None. */
    private static String textOrNone(String method, Object arg) {
        return arg == null ? null : text(method, arg);
    }

    /** An argument that must be an int (Jinjava's integer literals are longs); a float is a TypeError in Python. */
    private static long integer(String method, Object arg) {
        if (arg instanceof Long || arg instanceof Integer || arg instanceof Short || arg instanceof Byte) {
            return ((Number) arg).longValue();
        }
        throw new ELException("the chat template calls str." + method + " with " + PythonStr.repr(arg)
                + " where an integer is expected");
    }

    /** split's maxsplit: any negative one splits everywhere, and no string has more than Integer.MAX_VALUE splits. */
    private static int maxSplit(String method, Object arg) {
        return (int) Math.max(-1, Math.min(Integer.MAX_VALUE, integer(method, arg)));
    }

    private static String removePrefix(String s, String prefix) {
        return s.startsWith(prefix) ? s.substring(prefix.length()) : s;
    }

    private static String removeSuffix(String s, String suffix) {
        return s.endsWith(suffix) ? s.substring(0, s.length() - suffix.length()) : s;
    }

    /** The chars argument of strip, lstrip and rstrip: null (none given, or None) strips whitespace. */
    private static String chars(String method, Object[] args) {
        return args.length == 0 ? null : textOrNone(method, args[0]);
    }

    private static String lstrip(String s, String chars) {
        int start = 0;
        while (start < s.length() && stripped(s.charAt(start), chars)) {
            start++;
        }
        return s.substring(start);
    }

    private static String rstrip(String s, String chars) {
        int end = s.length();
        while (end > 0 && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(0, end);
    }

    /** Without chars (or with None), Python strips whitespace as str.isspace defines it. */
    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
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
                    parts.add(s.substring(i));
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
            throw new ELException("the chat template calls str.split with an empty separator");
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
     * Python's str.format with {} (numbered in turn), {0} and {name} fields, each converted by str or (!r) repr, and
     * {{ }} for braces. Format specs ({:>3}) and attribute or index access ({0.x}) are refused, not ignored.
     */
    private static String format(String s, Object[] args) {
        List<Object> positional = new ArrayList<>();
        Map<String, Object> named = new HashMap<>();
        for (Object arg : args) {
            if (arg instanceof NamedParameter parameter) {
                named.put(parameter.getName(), parameter.getValue());
            } else {
                positional.add(arg);
            }
        }
        StringBuilder out = new StringBuilder();
        int next = 0;
        Boolean numbered = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c == '{' || c == '}') && i + 1 < s.length() && s.charAt(i + 1) == c) {
                out.append(c);
                i++;
                continue;
            }
            if (c == '}') {
                throw new ELException("the chat template calls str.format with a single '}' in " + PythonStr.repr(s));
            }
            if (c != '{') {
                out.append(c);
                continue;
            }
            int close = s.indexOf('}', i);
            if (close < 0) {
                throw new ELException("the chat template calls str.format with a single '{' in " + PythonStr.repr(s));
            }
            String field = s.substring(i + 1, close);
            String name = field.replaceFirst("![rs]$", "");
            if (!name.matches("[0-9]{0,9}|[A-Za-z_][A-Za-z_0-9]*")) {
                throw new ELException("the chat template calls str.format with the field {" + field
                        + "}: only {}, {0} and {name} with !r or !s are supported");
            }
            Object value;
            if (name.isEmpty() || Character.isDigit(name.charAt(0))) {
                if (numbered != null && numbered != !name.isEmpty()) {
                    throw new ELException("the chat template calls str.format mixing {} and numbered fields");
                }
                numbered = !name.isEmpty();
                int index = name.isEmpty() ? next++ : Integer.parseInt(name);
                if (index >= positional.size()) {
                    throw new ELException("the chat template calls str.format with the field {" + field + "} but "
                            + positional.size() + " arguments");
                }
                value = positional.get(index);
            } else if (named.containsKey(name)) {
                value = named.get(name);
            } else {
                throw new ELException("the chat template calls str.format without the argument " + name);
            }
            out.append(field.endsWith("!r") ? PythonStr.repr(value) : PythonStr.str(value));
            i = close;
        }
        return out.toString();
    }

    /** Python's str.rsplit: as split, but the at most maxSplit splits are the last ones. */
    private static List<String> rsplit(String s, String sep, int maxSplit) {
        if (maxSplit < 0) {
            return split(s, sep, -1);
        }
        List<String> parts = new ArrayList<>();
        int end = s.length();
        if (sep == null) {
            while (true) {
                while (end > 0 && isSpace(s.charAt(end - 1))) {
                    end--;
                }
                if (end == 0) {
                    break;
                }
                if (parts.size() == maxSplit) {
                    parts.add(s.substring(0, end));
                    break;
                }
                int start = end;
                while (start > 0 && !isSpace(s.charAt(start - 1))) {
                    start--;
                }
                parts.add(s.substring(start, end));
                end = start;
            }
        } else {
            if (sep.isEmpty()) {
                throw new ELException("the chat template calls str.rsplit with an empty separator");
            }
            for (int at = s.lastIndexOf(sep, end - sep.length()); at >= 0 && parts.size() < maxSplit;
                    at = s.lastIndexOf(sep, end - sep.length())) {
                parts.add(s.substring(at + sep.length(), end));
                end = at;
            }
            parts.add(s.substring(0, end));
        }
        Collections.reverse(parts);
        return parts;
    }

    /** Python's sep.join(iterable): the items must be strings; a string's are its characters, a dict's its keys. */
    private static String join(String sep, Object iterable) {
        if (iterable == null) {
            throw new ELException("the chat template calls str.join on None");
        }
        ForLoop items = ObjectIterator.getLoop(iterable instanceof String s
                ? s.codePoints().mapToObj(Character::toString).toList()
                : iterable instanceof Map<?, ?> dict ? dict.keySet() : iterable);
        StringJoiner joined = new StringJoiner(sep);
        while (items.hasNext()) {
            Object item = items.next();
            if (!(item instanceof String string)) {
                throw new ELException("the chat template calls str.join on an item that is no string: "
                        + PythonStr.repr(item));
            }
            joined.add(string);
        }
        return joined.toString();
    }

    /** Python's str.find(sub, start), in code points as Python counts: a negative start counts from the end. */
    private static int find(String s, String sub, long start) {
        int length = s.codePointCount(0, s.length());
        if (start > length) {
            return -1;
        }
        int from = s.offsetByCodePoints(0, (int) (start < 0 ? Math.max(0, start + length) : start));
        int at = s.indexOf(sub, from);
        return at < 0 ? -1 : s.codePointCount(0, at);
    }

    /** Python's str.count(sub): non-overlapping occurrences; the empty string occurs around each code point. */
    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1;
        }
        int count = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            count++;
        }
        return count;
    }

    /**
     * Python's str.isdigit: a decimal digit (Java's isDigit), or one of the other characters of Unicode's numeric
     * type Digit (superscripts, circled digits ...), listed as ranges since Java offers no numeric type.
     */
    private static boolean isDigit(int c) {
        if (Character.isDigit(c)) {
            return true;
        }
        for (int i = 0; i < OTHER_DIGITS.length; i += 2) {
            if (c >= OTHER_DIGITS[i] && c <= OTHER_DIGITS[i + 1]) {
                return true;
            }
        }
        return false;
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
}
