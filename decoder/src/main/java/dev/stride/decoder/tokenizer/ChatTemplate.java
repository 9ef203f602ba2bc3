package dev.stride.decoder.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ELResolver;
import jinjava.javax.el.ExpressionFactory;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** tokenizer_config.json's chat_template, rendered with Jinjava the way transformers' apply_chat_template does. */
final class ChatTemplate {

    private static final Jinjava JINJAVA = createJinjava();

    private final String source;

    private ChatTemplate(String template) {
        // Jinja2 reads every line break of the template (text and string literals) as \n; Jinjava kept the \r of
        // CRLF files, so trim_blocks left it behind each tag and the prompt's lines ended in \r\n.
        String source = template.replace("\r\n", "\n").replace('\r', '\n');
        // Jinja2 (keep_trailing_newline=False) drops one trailing newline of the template; Jinjava does not.
        this.source = source.endsWith("\n") ? source.substring(0, source.length() - 1) : source;
    }

    /**
     * The template of chat_template.jinja where the model has one (as transformers prefers it), else
     * tokenizer_config.json's chat_template: a string, or a list of {name, template} of which the one named
     * "default" is used.
     */
    static Optional<ChatTemplate> from(Optional<String> file, JsonNode config) {
        if (file.isPresent()) {
            return Optional.of(new ChatTemplate(file.get()));
        }
        JsonNode template = config.path("chat_template");
        if (template.isTextual()) {
            return Optional.of(new ChatTemplate(template.asText()));
        }
        for (JsonNode named : template) {
            if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                return Optional.of(new ChatTemplate(named.path("template").asText()));
            }
        }
        return Optional.empty();
    }

    String render(List<ChatMessage> messages, Optional<String> bosToken, Optional<String> eosToken) {
        Map<String, Object> context = new HashMap<>();
        // Jinjava resolves bean getters, not record accessors, so messages go in as maps: ordered ones, since a
        // template may iterate a message (items(), tojson), and Map.of's order is drawn anew in every JVM.
        context.put("messages", messages.stream().map(ChatTemplate::fields).collect(Collectors.toList()));
        context.put("add_generation_prompt", true);
        bosToken.ifPresent(token -> context.put("bos_token", token));
        eosToken.ifPresent(token -> context.put("eos_token", token));
        RenderResult result = JINJAVA.renderForResult(Jinja2Whitespace.apply(source), context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw failure(error);
            }
        }
        return result.getOutput();
    }

    /** A message's fields in the order of transformers' message dicts. */
    private static Map<String, Object> fields(ChatMessage message) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("role", message.role());
        fields.put("content", message.content());
        return fields;
    }

    /** Called by templates as raise_exception(msg) to reject a conversation. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    /** Jinjava wraps exceptions thrown by functions; the template's own message is what the caller needs. */
    private static TokenizerException failure(TemplateError error) {
        for (Throwable cause = error.getException(); cause != null; cause = cause.getCause()) {
            if (cause instanceof RaisedByTemplate) {
                return new TokenizerException("chat_template rejected the messages: " + cause.getMessage());
            }
        }
        return new TokenizerException(
                "chat_template failed at line " + error.getLineno() + ": " + error.getMessage(), error.getException());
    }

    private static final class RaisedByTemplate extends RuntimeException {
        RaisedByTemplate(String message) {
            super(message);
        }
    }

    /** Python's str and dict methods and the loop's neighbours first, then Jinjava's own resolution. */
    private static ELResolver resolver() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(new LoopNeighbours());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        return resolver;
    }

    private static Jinjava createJinjava() {
        // transformers renders with trim_blocks and lstrip_blocks on: Jinja2Whitespace applies them, and the
        // whitespace markers, before Jinjava parses the template, so Jinjava's own trimming stays off. Jinjava would
        // also render template syntax found in an expression's output (a message saying "{{ 7*7 }}" became "49");
        // Jinja2 prints it as it is. Jinjava's lenient whitespace parser read a minus after the opening's space as a
        // marker ("{{ -n }}" printed n); the strict one looks right inside the braces, where Jinja2Whitespace leaves
        // a space.
        Jinjava jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withNestedInterpretationEnabled(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withParseWhitespaceControlStrictly(true).build())
                .withElResolver(resolver())
                .withInterperterFactory(new PythonStr.Interpreters())
                .build()) {
            // Jinjava offers no setting for its expression parser; this is the one place it is obtained from.
            @Override
            public ExpressionFactory getExpressionFactory() {
                return Jinja2Expressions.FACTORY;
            }
        };
        jinjava.registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        jinjava.getGlobalContext().registerFilter(new PythonJson());
        jinjava.getGlobalContext().registerFilter(new PythonMethods.Trim());
        jinjava.getGlobalContext().registerFilter(new PythonMethods.Items());
        jinjava.getGlobalContext().registerFilter(new PythonStr.StringFilter());
        jinjava.getGlobalContext().registerFilter(new PythonStr.JoinFilter());
        jinjava.getGlobalContext().registerTag(new Jinja2ForTag());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        return jinjava;
    }
}
