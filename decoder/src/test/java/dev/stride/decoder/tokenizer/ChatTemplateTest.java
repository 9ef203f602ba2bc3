package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

class ChatTemplateTest {

    /** Block tags on their own lines: trim_blocks and lstrip_blocks must remove those lines entirely. */
    private static final String TEMPLATE = String.join("\n",
            "{{ bos_token }}",
            "{%- if messages[0]['role'] != 'user' %}",
            "  {{ raise_exception('Conversations must start with a user message') }}",
            "{% endif %}",
            "    {% for message in messages %}",
            "  {{ message['role'] }}: {{ message['content'] }}{{ eos_token }}",
            "    {% endfor %}",
            "{% if add_generation_prompt %}",
            "  assistant:",
            "{% endif %}",
            "");

    private static final List<ChatMessage> CONVERSATION =
            List.of(new ChatMessage("user", "Hi there"), new ChatMessage("assistant", "Hello."),
                    new ChatMessage("user", "Tell me my fortune"));

    private static final String RENDERED = "<|bos|>  user: Hi there<|eos|>\n  assistant: Hello.<|eos|>\n"
            + "  user: Tell me my fortune<|eos|>\n  assistant:\n";

    @TempDir
    Path dir;

    @Test
    void stringTemplateRendersLikeJinja2() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> c.put("chat_template", TEMPLATE));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertTrue(tokenizer.hasChatTemplate());
            int[] ids = tokenizer.encodeChat(CONVERSATION);
            assertArrayEquals(tokenizer.encodeRaw(RENDERED), ids);
            assertTrue(ids[0] == 0 && ids[1] != 0, "exactly one BOS");
        }
    }

    /** Message text is data: Jinja2 never evaluates template syntax inside a message, nor may Jinjava. */
    @Test
    void templateSyntaxInAMessageIsTextAndChatTemplateJinjaWins() throws java.io.IOException {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> c.put("chat_template", "ignored when the .jinja file exists"));
        java.nio.file.Files.writeString(dir.resolve("chat_template.jinja"),
                "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}");
        String content = "What is {{ 7*7 }} and {% if true %}yes{% endif %}? {{ raise_exception('no') }}";
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertArrayEquals(tokenizer.encodeRaw("<|bos|>user: " + content + "\n"),
                    tokenizer.encodeChat(List.of(new ChatMessage("user", content))));
        }
    }

    @Test
    void listTemplateUsesTheDefaultOne() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> {
            var list = c.putArray("chat_template");
            list.addObject().put("name", "tool_use").put("template", "tools!");
            // Attribute access on message dicts, as many published templates write it.
            list.addObject().put("name", "default").put("template",
                    "{{ bos_token }}{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}");
        });
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            String rendered = "<|bos|>user: Hi there\nassistant: Hello.\nuser: Tell me my fortune\n";
            assertArrayEquals(tokenizer.encodeRaw(rendered), tokenizer.encodeChat(CONVERSATION));
        }
    }

    @Test
    void templateWithoutBosGetsTheTokenizersBosAndLosesItsTrailingNewline() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> c.put("chat_template",
                "{% for m in messages %}{{ m['content'] }}\n{% endfor %}{{ '!' }}\n"));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertArrayEquals(tokenizer.encode("Hi there\n!"),
                    tokenizer.encodeChat(List.of(new ChatMessage("user", "Hi there"))));
        }
    }

    @Test
    void raiseExceptionSurfacesTheTemplatesMessage() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> c.put("chat_template", TEMPLATE));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            TokenizerException e = assertThrows(TokenizerException.class,
                    () -> tokenizer.encodeChat(List.of(new ChatMessage("assistant", "Hello."))));
            assertTrue(e.getMessage().contains("Conversations must start with a user message"), e.getMessage());
        }
    }

    @Test
    void noTemplateIsAClearError() {
        try (StrideTokenizer tokenizer = StrideTokenizer.load(Fixture.dir())) {
            assertFalse(tokenizer.hasChatTemplate());
            TokenizerException e = assertThrows(TokenizerException.class, () -> tokenizer.encodeChat(CONVERSATION));
            assertTrue(e.getMessage().contains("no chat_template"), e.getMessage());
        }
    }
}
