package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.el.ext.ExtendedScanner;
import jinjava.de.odysseus.el.tree.impl.Scanner;

/**
 * Jinjava's expression scanner with string literals decoded as Jinja2 decodes them, by Python's unicode-escape rules.
 * Jinjava knew only the escapes of newline, tab, backspace, form feed, carriage return, backslash and quotes, and
 * refused the rest as an invalid escape sequence (\x41, \\u2581, \U0001F600, \N{BULLET}, octal \101).
 */
final class Jinja2Scanner extends ExtendedScanner {

    Jinja2Scanner(String input) {
        super(input);
    }

    @Override
    protected Token nextString() throws ScanException {
        String input = getInput();
        int start = getPosition();
        char quote = input.charAt(start);
        StringBuilder value = new StringBuilder();
        int i = start + 1;
        while (i < input.length()) {
            char c = input.charAt(i++);
            if (c == quote) {
                return token(Scanner.Symbol.STRING, value.toString(), i - start);
            }
            if (c != '\\') {
                value.append(c);
            } else if (i < input.length()) {
                i = escape(input, i, value);
            }
        }
        throw new ScanException(start, "unterminated string", String.valueOf(quote));
    }

    /** Decodes the escape whose letter is at i into value; returns where the literal goes on. */
    private static int escape(String input, int i, StringBuilder value) throws ScanException {
        char c = input.charAt(i);
        switch (c) {
            case '\n' -> {
                return i + 1;
            }
            case '\\', '\'', '"' -> value.append(c);
            case 'a' -> value.append('\u0007');
            case 'b' -> value.append('\b');
            case 'f' -> value.append('\f');
            case 'n' -> value.append('\n');
            case 'r' -> value.append('\r');
            case 't' -> value.append('\t');
            case 'v' -> value.append('\u000b');
            case 'x' -> {
                return hex(input, i, 2, value);
            }
            case 'u' -> {
                return hex(input, i, 4, value);
            }
            case 'U' -> {
                return hex(input, i, 8, value);
            }
            case 'N' -> {
                return named(input, i, value);
            }
            default -> {
                if (c >= '0' && c <= '7') {
                    int end = i + 1;
                    while (end < input.length() && end < i + 3 && input.charAt(end) >= '0'
                            && input.charAt(end) <= '7') {
                        end++;
                    }
                    value.append((char) Integer.parseInt(input.substring(i, end), 8));
                    return end;
                }
                // Python keeps an unknown escape as written. Jinja2 first writes a non-ASCII character as its own
                // escape (backslashreplace), so \é comes out as the text \xe9.
                value.append('\\');
                if (c < 0x80) {
                    value.append(c);
                } else {
                    int code = input.codePointAt(i);
                    value.append(code < 0x100 ? String.format("x%02x", code)
                            : code < 0x10000 ? String.format("u%04x", code) : String.format("U%08x", code));
                    return i + Character.charCount(code);
                }
            }
        }
        return i + 1;
    }

    /** \xhh, \\uhhhh or \Uhhhhhhhh: exactly digits hex digits after the letter at i. */
    private static int hex(String input, int i, int digits, StringBuilder value) throws ScanException {
        int end = i + 1 + digits;
        String hex = end <= input.length() ? input.substring(i + 1, end) : "";
        if (hex.isEmpty() || !hex.chars().allMatch(d -> Character.digit(d, 16) >= 0)) {
            throw new ScanException(i, "truncated \\" + input.charAt(i) + " escape", digits + " hex digits");
        }
        long code = Long.parseLong(hex, 16);
        if (code > Character.MAX_CODE_POINT) {
            throw new ScanException(i, "\\" + input.charAt(i) + " escape of no Unicode character", "at most 10ffff");
        }
        value.appendCodePoint((int) code);
        return end;
    }

    /** \N{name}: the character of that Unicode name. */
    private static int named(String input, int i, StringBuilder value) throws ScanException {
        int close = input.indexOf('}', i);
        if (i + 1 >= input.length() || input.charAt(i + 1) != '{' || close < 0) {
            throw new ScanException(i, "malformed \\N escape", "\\N{name}");
        }
        String name = input.substring(i + 2, close);
        try {
            value.appendCodePoint(Character.codePointOf(name));
        } catch (IllegalArgumentException e) {
            throw new ScanException(i, "\\N escape of an unknown character name: " + name, "a Unicode name");
        }
        return close + 1;
    }
}
