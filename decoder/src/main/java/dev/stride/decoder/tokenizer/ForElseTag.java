package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ElseTag;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.tree.parse.TagToken;
import com.hubspot.jinjava.util.ObjectIterator;

import java.util.LinkedList;
import java.util.List;

/**
 * Jinja2's {@code {% for %}...{% else %}...{% endfor %}}: the else body renders only when the loop runs no
 * iteration. Jinjava's for tag knows no else: it rendered the else body after every iteration's body, and nothing
 * for an empty sequence.
 */
final class ForElseTag extends ForTag {

    private static final long serialVersionUID = 1L;

    @Override
    public String renderForCollection(
            TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars, Object collection) {
        LinkedList<Node> children = tagNode.getChildren();
        int split = elseAt(children);
        if (split < 0) {
            return super.renderForCollection(tagNode, interpreter, loopVars, collection);
        }
        if (!ObjectIterator.getLoop(collection).hasNext()) {
            StringBuilder out = new StringBuilder();
            for (Node node : children.subList(split + 1, children.size())) {
                out.append(node.render(interpreter).getValue());
            }
            return out.toString();
        }
        TagNode body = new TagNode(this, (TagToken) tagNode.getMaster(), tagNode.getSymbols());
        body.setChildren(new LinkedList<>(children.subList(0, split)));
        return super.renderForCollection(body, interpreter, loopVars, collection);
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
}
