package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstRangeBracket;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.Bindings;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstIdentifier;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstRightValue;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ExpressionFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

/**
 * Jinjava's expression parser with Jinja2's grammar where chat templates meet the difference. Jinjava parses
 * expressions as Java EL does, so {@code not} bound tighter than a comparison ({@code not a == b} was
 * {@code (not a) == b}) and a keyword argument's value ended at the first operator ({@code namespace(i=n - 1)} was
 * {@code (i=n) - 1}, an error), and a slice could not have a step (Qwen3's {@code messages[::-1]}, an error;
 * {@code [start::step]} and {@code [start:stop:step]} still are). String literals: see Jinja2Scanner.
 */
final class Jinja2Expressions {

    /** Jinjava's own expression factory settings, with this parser. */
    static final ExpressionFactory FACTORY = createFactory();

    private Jinja2Expressions() {
    }

    private static ExpressionFactory createFactory() {
        Properties properties = new Properties();
        properties.setProperty(TreeBuilder.class.getName(), Builder.class.getName());
        // Jinjava caches no parsed expression either; the template is parsed once per render anyway.
        properties.setProperty("jinjava.javax.el.cacheSize", "0");
        return new ExpressionFactoryImpl(properties, new PythonStr.Converter());
    }

    /** Instantiated by name by the expression factory. */
    public static final class Builder extends ExtendedSyntaxBuilder {
        private static final long serialVersionUID = 1L;

        public Builder(Feature... features) {
            super(features);
        }

        @Override
        protected Parser createParser(String expression) {
            return new Jinja2Parser(this, expression);
        }
    }

    private static final class Jinja2Parser extends ExtendedParser {

        /** Inside {@code [::step]}: the first colon is read, the next expression is the step. */
        private boolean stepFollows;

        Jinja2Parser(jinjava.de.odysseus.el.tree.impl.Builder builder, String input) {
            super(builder, input);
        }

        /** A keyword argument's value is a whole expression. */
        @Override
        protected AstNode expr(boolean required) throws Scanner.ScanException, ParseException {
            // Jinjava reads x[start:stop] asking for an optional start and stop expression. In [::step] both requests
            // meet a colon: the second one reads the step, handed to createAstRangeBracket.
            if (getToken().getSymbol() == Scanner.Symbol.COLON && !required) {
                if (stepFollows) {
                    stepFollows = false;
                    consumeToken();
                    return new Step(expr(true));
                }
                stepFollows = lookahead(0).getSymbol() == Scanner.Symbol.COLON;
                return null;
            }
            if (getToken().getSymbol() == Scanner.Symbol.IDENTIFIER && lookahead(0) == NamedParameterOperator.TOKEN) {
                String name = consumeToken().getImage();
                consumeToken();
                return NamedParameterOperator.HANDLER.createAstNode(identifier(name), expr(true));
            }
            return super.expr(required);
        }

        @Override
        protected Scanner createScanner(String expression) {
            return new Jinja2Scanner(expression);
        }

        @Override
        protected AstRangeBracket createAstRangeBracket(
                AstNode base, AstNode start, AstNode stop, boolean lvalue, boolean strict) {
            if (stop instanceof Step step) {
                return new SteppedSlice(base, step.step, lvalue, strict);
            }
            return super.createAstRangeBracket(base, start, stop, lvalue, strict);
        }

        /**
         * Jinjava reads {@code x | f} as a call on the identifier "filter:f" (a test as "exptest:t") and renders an
         * unknown one as nothing; Jinja2 refuses the template, as must we.
         */
        @Override
        protected AstIdentifier createAstIdentifier(String name, int index) {
            Context known = JinjavaInterpreter.getCurrent().getContext();
            int filter = ExtendedParser.FILTER_PREFIX.length();
            if (name.startsWith(ExtendedParser.FILTER_PREFIX) && known.getFilter(name.substring(filter)) == null) {
                throw new ELException("No filter named '" + name.substring(filter) + "'");
            }
            int test = ExtendedParser.EXPTEST_PREFIX.length();
            if (name.startsWith(ExtendedParser.EXPTEST_PREFIX) && known.getExpTest(name.substring(test)) == null) {
                throw new ELException("No test named '" + name.substring(test) + "'");
            }
            return super.createAstIdentifier(name, index);
        }

        /** Jinja2's {@code not} sits between {@code and} and the comparisons (==, !=, <, in, is ...). */
        @Override
        protected AstNode eq(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.NOT) {
                consumeToken();
                return createAstUnary(eq(true), AstUnary.NOT);
            }
            return super.eq(required);
        }
    }

    /** The step of a [::step] slice, on its way from the parser's expr to createAstRangeBracket. */
    private static final class Step extends AstRightValue {
        final AstNode step;

        Step(AstNode step) {
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            throw new IllegalStateException("a slice step is not a value");
        }

        @Override
        public void appendStructure(StringBuilder builder, Bindings bindings) {
            builder.append("::");
            step.appendStructure(builder, bindings);
        }

        @Override
        public int getCardinality() {
            return 1;
        }

        @Override
        public AstNode getChild(int i) {
            return i == 0 ? step : null;
        }
    }

    /** Python's seq[::step] on a list or a string. */
    private static final class SteppedSlice extends AstRangeBracket {
        private final AstNode step;

        SteppedSlice(AstNode base, AstNode step, boolean lvalue, boolean strict) {
            super(base, null, null, lvalue, strict, false);
            this.step = step;
        }

        @Override
        public Object eval(Bindings bindings, ELContext context) {
            Object base = prefix.eval(bindings, context);
            List<?> items = base instanceof String s ? s.chars().mapToObj(c -> String.valueOf((char) c)).toList()
                    : base instanceof Collection<?> c ? new ArrayList<>(c) : null;
            if (items == null) {
                throw new ELException("cannot slice " + (base == null ? "none" : base.getClass().getSimpleName()));
            }
            long by = ((Number) bindings.convert(step.eval(bindings, context), Long.class)).longValue();
            if (by == 0) {
                throw new ELException("slice step cannot be zero");
            }
            int n = items.size();
            List<Object> sliced = new ArrayList<>();
            for (long i = by > 0 ? 0 : n - 1; by > 0 ? i < n : i >= 0; i += by) {
                sliced.add(items.get((int) i));
            }
            return base instanceof String ? String.join("", sliced.stream().map(String.class::cast).toList()) : sliced;
        }
    }
}
