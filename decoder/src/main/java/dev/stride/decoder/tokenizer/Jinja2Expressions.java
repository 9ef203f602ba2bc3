package dev.stride.decoder.tokenizer;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import com.hubspot.jinjava.el.ext.NamedParameterOperator;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstUnary;
import jinjava.javax.el.ExpressionFactory;

import java.util.Properties;

/**
 * Jinjava's expression parser with Jinja2's grammar where chat templates meet the difference. Jinjava parses
 * expressions as Java EL does, so {@code not} bound tighter than a comparison ({@code not a == b} was
 * {@code (not a) == b}) and a keyword argument's value ended at the first operator ({@code namespace(i=n - 1)} was
 * {@code (i=n) - 1}, an error).
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
        return new ExpressionFactoryImpl(properties, new TruthyTypeConverter());
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

        Jinja2Parser(jinjava.de.odysseus.el.tree.impl.Builder builder, String input) {
            super(builder, input);
        }

        /** A keyword argument's value is a whole expression. */
        @Override
        protected AstNode expr(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.IDENTIFIER && lookahead(0) == NamedParameterOperator.TOKEN) {
                String name = consumeToken().getImage();
                consumeToken();
                return NamedParameterOperator.HANDLER.createAstNode(identifier(name), expr(true));
            }
            return super.expr(required);
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
}
