package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.util.ForLoop;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;

import java.util.List;

/**
 * Jinja2's loop.previtem and loop.nextitem, which Jinjava's loop lacks: they read as undefined, so a template asking
 * whether the previous turn was the assistant's always heard no. The items are those Jinja2ForTag keeps beside the
 * innermost loop.
 */
final class LoopNeighbours extends ReadOnlyResolver {

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        int offset = "previtem".equals(property) ? -1 : "nextitem".equals(property) ? 1 : 0;
        if (!(base instanceof ForLoop loop) || offset == 0) {
            return null;
        }
        var scope = JinjavaInterpreter.getCurrent().getContext();
        if (scope.get("loop") != loop || !(scope.get(Jinja2ForTag.ITEMS) instanceof List<?> items)) {
            throw new ELException(property + " is only known for the innermost loop");
        }
        context.setPropertyResolved(true);
        int i = loop.getIndex0() + offset;
        // Past either end the neighbour is undefined.
        return i >= 0 && i < items.size() ? items.get(i) : null;
    }
}
