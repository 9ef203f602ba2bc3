package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ElseTag;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import com.hubspot.jinjava.util.ObjectTruthValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;

/**
 * Jinja2's for loop where Jinjava's differs. {@code {% for %}...{% else %}...{% endfor %}}: the else body renders only
 * when the loop runs no iteration; Jinjava's for tag knows no else, and rendered the else body after every
 * iteration's body and nothing for an empty sequence. {@code {% for m in messages if cond %}}: the filter skips items
 * before the loop counts them; Jinjava read {@code messages if cond} as one conditional expression, cond evaluated
 * with m undefined, so every item or none went through. A dict's keys and a string's characters are its items, as
 * in Python. loop.previtem and loop.nextitem: see LoopNeighbours.
 */
final class Jinja2ForTag extends ForTag {

    private static final long serialVersionUID = 1L;

    /** The context name of the innermost loop's items: no template can name it, as it is no identifier. */
    static final String ITEMS = "loop items";

    @Override
    public String interpretUnchecked(TagNode tagNode, JinjavaInterpreter interpreter) {
        var varsAndExpression = getLoopVarsAndExpression((TagToken) tagNode.getMaster());
        List<String> loopVars = varsAndExpression.getLeft();
        String expression = varsAndExpression.getRight();
        int filter = filterAt(expression);
        if (filter < 0) {
            return super.interpretUnchecked(tagNode, interpreter);
        }
        String condition = expression.substring(filter + "if".length());
        ForLoop items = ObjectIterator.getLoop(pythonIterable(
                interpreter.resolveELExpression(expression.substring(0, filter), tagNode.getLineNumber())));
        List<Object> kept = new ArrayList<>();
        try (var scope = interpreter.enterScope()) {
            while (items.hasNext()) {
                Object item = interpreter.wrap(items.next());
                bind(loopVars, item, interpreter.getContext());
                if (ObjectTruthValue.evaluate(interpreter.resolveELExpression(condition, tagNode.getLineNumber()))) {
                    kept.add(item);
                }
            }
        }
        return renderForCollection(tagNode, interpreter, loopVars, kept);
    }

    @Override
    public String renderForCollection(
            TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars, Object collection) {
        List<Object> items = new ArrayList<>();
        for (ForLoop loop = ObjectIterator.getLoop(pythonIterable(collection)); loop.hasNext(); ) {
            items.add(loop.next());
        }
        LinkedList<Node> children = tagNode.getChildren();
        int split = elseAt(children);
        if (split >= 0 && items.isEmpty()) {
            StringBuilder out = new StringBuilder();
            for (Node node : children.subList(split + 1, children.size())) {
                out.append(node.render(interpreter).getValue());
            }
            return out.toString();
        }
        TagNode body = tagNode;
        if (split >= 0) {
            body = new TagNode(this, (TagToken) tagNode.getMaster(), tagNode.getSymbols());
            body.setChildren(new LinkedList<>(children.subList(0, split)));
        }
        // The items stay beside the loop for its previtem and nextitem (LoopNeighbours), in a scope of their own so
        // that an enclosing loop finds its own again once this one is done.
        try (var scope = interpreter.enterScope()) {
            interpreter.getContext().put(ITEMS, items);
            return super.renderForCollection(body, interpreter, loopVars, items);
        }
    }

    /**
     * What Python iterates: a dict's keys and a string's characters. Jinjava's loop ran over a dict's values and took
     * a string as one item.
     */
    private static Object pythonIterable(Object value) {
        if (value instanceof Map<?, ?> dict) {
            return dict.keySet();
        }
        return value instanceof String s ? s.codePoints().mapToObj(Character::toString).toList() : value;
    }

    /** The loop's own else: an else inside a nested if is that if's child, not the loop's. */
    private static int elseAt(List<Node> children) {
        for (int i = 0; i < children.size(); i++) {
            if (children.get(i) instanceof TagNode tag && tag.getTag() instanceof ElseTag) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where the loop filter's "if" stands: Jinja2's loop iterable holds no conditional expression, so it is the first
     * "if" word outside strings and brackets; -1 without a filter.
     */
    private static int filterAt(String expression) {
        int depth = 0;
        char quote = 0;
        for (int i = 0; i < expression.length(); i++) {
            char c = expression.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if (c == ')' || c == ']' || c == '}') {
                depth--;
            } else if (depth == 0 && expression.startsWith("if", i) && !wordAt(expression, i - 1)
                    && !wordAt(expression, i + 2)) {
                return i;
            }
        }
        return -1;
    }

    private static boolean wordAt(String s, int i) {
        return i >= 0 && i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_');
    }

    /** The loop variables for one item, as the loop binds them: one variable, or a key and value or a list unpacked. */
    private static void bind(List<String> loopVars, Object item, Context context) {
        if (loopVars.size() == 1) {
            context.put(loopVars.get(0), item);
            return;
        }
        List<?> parts = item instanceof Map.Entry<?, ?> entry ? Arrays.asList(entry.getKey(), entry.getValue())
                : item instanceof List<?> list ? list : List.of();
        for (int i = 0; i < loopVars.size(); i++) {
            context.put(loopVars.get(i), i < parts.size() ? parts.get(i) : null);
        }
    }
}
