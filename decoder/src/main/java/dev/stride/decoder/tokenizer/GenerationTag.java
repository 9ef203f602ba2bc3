package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * transformers' {@code {% generation %}...{% endgeneration %}} block (its AssistantTracker extension, which marks
 * the assistant's tokens for training masks): the body renders as it stands. Jinjava knew no such tag and refused
 * templates that carry it.
 */
final class GenerationTag implements Tag {

    private static final long serialVersionUID = 1L;

    @Override
    public String getName() {
        return "generation";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
        StringBuilder out = new StringBuilder();
        // Jinja2 renders the body as a call block's caller, in a scope of its own.
        try (var scope = interpreter.enterScope()) {
            for (Node node : tagNode.getChildren()) {
                out.append(node.render(interpreter).getValue());
            }
        }
        return out.toString();
    }
}
