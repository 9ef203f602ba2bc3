package dev.stride.decoder.tokenizer;

/**
 * Jinja2's whitespace control, as its lexer applies it with trim_blocks and lstrip_blocks, done to the template's
 * text before Jinjava parses it: Jinjava then gets a template whose text is already what Jinja2 prints, without
 * whitespace markers or comments, and renders it with its own trimming off. Jinjava's lstrip_blocks stripped the
 * spaces before every block tag, also mid-line ("a {% if x %}b" rendered "ab"), and knew no {%+.
 *
 * <p>Jinja2's rules: lstrip_blocks strips the whitespace before a block tag or comment (not {{ }}) only where nothing
 * else stands between the line's start and the tag, and {%+ or {#+ keeps it; trim_blocks removes the one newline
 * right after a block tag or comment, and +%} or +#} keeps it; {%-, {{-, {#- strip all whitespace before the tag,
 * -%}, -}}, -#} all after it. A raw block's body is text; its opening tag is followed by no trim_blocks.
 *
 * <p>The line breaks removed go inside the next tag instead (whitespace there means nothing), so that Jinjava, which
 * counts lines through the text and tags, names the template's own line in its errors.
 */
final class Jinja2Whitespace {

    private final String source;
    private final StringBuilder out = new StringBuilder();
    private int pos;
    /** Line breaks removed from the text since the last tag written. */
    private int removedLines;

    private Jinja2Whitespace(String source) {
        this.source = source;
    }

    /** The template with Jinja2's whitespace control applied to its text; its line breaks must be \n already. */
    static String apply(String source) {
        Jinja2Whitespace template = new Jinja2Whitespace(source);
        template.run();
        return template.out.toString();
    }

    private void run() {
        while (pos < source.length()) {
            int start = nextTag(pos);
            if (start < 0) {
                out.append(source, pos, source.length());
                return;
            }
            char kind = source.charAt(start + 1);
            char sign = sign(start);
            int inner = start + (sign == 0 ? 2 : 3);
            text(pos, start, sign, kind != '{');
            switch (kind) {
                case '#' -> comment(start, inner);
                case '{' -> tag(start, inner, "}}");
                default -> {
                    int rawEnd = rawOpening(inner);
                    if (rawEnd >= 0) {
                        raw(start, rawEnd);
                    } else {
                        tag(start, inner, "%}");
                    }
                }
            }
        }
    }

    /** Where the next {{, {% or {# starts, or -1. */
    private int nextTag(int from) {
        for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
            char next = source.charAt(i + 1);
            if (next == '{' || next == '%' || next == '#') {
                return i;
            }
        }
        return -1;
    }

    /** The whitespace marker (- or +) right after the tag opening at {@code start}, or 0. */
    private char sign(int start) {
        char sign = start + 2 < source.length() ? source.charAt(start + 2) : 0;
        return sign == '-' || sign == '+' ? sign : 0;
    }

    /** Writes the text from..to that precedes a tag, stripped as the tag's sign and lstrip_blocks say. */
    private void text(int from, int to, char sign, boolean lstrip) {
        int end = to;
        if (sign == '-') {
            while (end > from && PythonMethods.isSpace(source.charAt(end - 1))) {
                end--;
            }
        } else if (sign != '+' && lstrip) {
            int lineStart = to;
            while (lineStart > from && source.charAt(lineStart - 1) != '\n') {
                lineStart--;
            }
            // At the text's start the line starts only if the tag before it ended with a line break.
            boolean atLineStart = lineStart > from || from == 0 || source.charAt(from - 1) == '\n';
            int spaces = lineStart;
            while (spaces < to && PythonMethods.isSpace(source.charAt(spaces))) {
                spaces++;
            }
            if (atLineStart && spaces == to) {
                end = lineStart;
            }
        }
        out.append(source, from, end);
        removedLines += lineBreaks(end, to);
    }

    /** A comment writes nothing; it ends at the first #}, -#} or +#}. */
    private void comment(int start, int inner) {
        for (int i = inner; i < source.length(); i++) {
            int end = closing(i, "#}");
            if (end >= 0) {
                removedLines += lineBreaks(start, end);
                pos = end;
                return;
            }
        }
        throw new TokenizerException("chat_template has a comment {# that is never closed, at line " + line(start));
    }

    /** A block tag or expression, written without its whitespace markers; it ends outside strings and brackets. */
    private void tag(int start, int inner, String close) {
        int depth = 0;
        for (int i = inner; i < source.length(); i++) {
            int end = depth == 0 ? closing(i, close) : -1;
            if (end >= 0) {
                write(source.charAt(start + 1), bracesApart(inner, i), close);
                removedLines += lineBreaks(i, end);
                pos = end;
                return;
            }
            char c = source.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(i);
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
                depth--;
            }
        }
        throw new TokenizerException("chat_template has a " + source.substring(start, start + 2)
                + " that is never closed, at line " + line(start));
    }

    /**
     * The tag's text from..to with a space between two closing braces outside its strings: Jinjava ends an expression
     * at the first such "}}", so {{ {'a': {'b': 1}} }} ended after the inner dict and failed to parse.
     */
    private String bracesApart(int from, int to) {
        StringBuilder inner = new StringBuilder();
        for (int i = from; i < to; i++) {
            char c = source.charAt(i);
            if (c == '\'' || c == '"') {
                int end = stringEnd(i);
                inner.append(source, i, end + 1);
                i = end;
            } else {
                inner.append(c);
                if (c == '}' && i + 1 < to && source.charAt(i + 1) == '}') {
                    inner.append(' ');
                }
            }
        }
        return inner.toString();
    }

    /**
     * Where the tag ends if its closing (close, or -close, or +close for a block tag or comment) stands at i, with
     * the whitespace a -close strips and the newline trim_blocks removes; -1 if none stands there.
     */
    private int closing(int i, String close) {
        boolean block = !close.equals("}}");
        if (source.startsWith("-" + close, i)) {
            return skipSpaces(i + 1 + close.length());
        }
        if (block && source.startsWith("+" + close, i)) {
            return i + 1 + close.length();
        }
        if (source.startsWith(close, i)) {
            int end = i + close.length();
            return block && end < source.length() && source.charAt(end) == '\n' ? end + 1 : end;
        }
        return -1;
    }

    /** Where the string literal that opens at i ends (its closing quote); a backslash escapes any character. */
    private int stringEnd(int i) {
        char quote = source.charAt(i);
        for (int j = i + 1; j < source.length(); j++) {
            if (source.charAt(j) == '\\') {
                j++;
            } else if (source.charAt(j) == quote) {
                return j;
            }
        }
        throw new TokenizerException("chat_template has a string literal that is never closed, at line " + line(i));
    }

    /** The end of {% raw %} or {% raw -%} whose name may start at i, or -1 if the tag is another. */
    private int rawOpening(int i) {
        int name = skipSpaces(i);
        if (!source.startsWith("raw", name)) {
            return -1;
        }
        int end = skipSpaces(name + "raw".length());
        if (source.startsWith("-%}", end)) {
            return skipSpaces(end + "-%}".length());
        }
        return source.startsWith("%}", end) ? end + "%}".length() : -1;
    }

    /** A raw block's body is text up to the first {% endraw %}, which strips it as any tag would. */
    private void raw(int start, int bodyStart) {
        removedLines += lineBreaks(start, bodyStart);
        write('%', "raw", "%}");
        for (int at = source.indexOf("{%", bodyStart); at >= 0; at = source.indexOf("{%", at + 1)) {
            char sign = sign(at);
            int name = skipSpaces(at + (sign == 0 ? 2 : 3));
            if (source.startsWith("endraw", name)) {
                int close = skipSpaces(name + "endraw".length());
                int end = closing(close, "%}");
                if (end >= 0) {
                    text(bodyStart, at, sign, true);
                    write('%', "endraw", "%}");
                    removedLines += lineBreaks(at, end);
                    pos = end;
                    return;
                }
            }
        }
        throw new TokenizerException("chat_template has a {% raw %} without {% endraw %}, at line " + line(bodyStart));
    }

    private void write(char kind, String inner, String close) {
        out.append('{').append(kind).append("\n".repeat(removedLines)).append(' ').append(inner).append(' ')
                .append(close);
        removedLines = 0;
    }

    private int skipSpaces(int i) {
        while (i < source.length() && PythonMethods.isSpace(source.charAt(i))) {
            i++;
        }
        return i;
    }

    private int lineBreaks(int from, int to) {
        int count = 0;
        for (int i = from; i < to; i++) {
            count += source.charAt(i) == '\n' ? 1 : 0;
        }
        return count;
    }

    private int line(int at) {
        return 1 + lineBreaks(0, at);
    }
}
