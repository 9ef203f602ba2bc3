package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    /**
     * Jinja2 reads a template's line breaks (\r\n, \r) as \n, in text and string literals alike, before trim_blocks
     * applies; a message's own line breaks stay. Jinjava kept the \r of a CRLF chat_template.jinja, so trim_blocks
     * removed only the \r after a tag and every line of the prompt ended in \r\n. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void aTemplatesLineBreaksReadAsNewlines() {
        String template = "{{ bos_token }}\r\n{% for m in messages %}\r\n{{ m.role }}: {{ m.content }}\r\n"
                + "{% endfor %}\r{{ 'a\r\nb' }}\r\n";
        assertEquals("<s>\nuser: Hi\r\nthere\na\nb", render(template, new ChatMessage("user", "Hi\r\nthere")));
    }

    /**
     * Whitespace control on expressions and comments ({{- -}}, {#- -#}), the style of Llama 3.1-3.3's templates:
     * Jinjava by default honours it on tags only, and rendered this template with a newline after the BOS, another
     * before the system text and the loop's indentation before every header. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void whitespaceControlOnExpressionsAndCommentsTrimsLikeJinja2() {
        String template = """
                {{- bos_token }}
                {%- if messages[0]['role'] == 'system' %}
                    {%- set system_message = messages[0]['content']|trim %}
                    {%- set messages = messages[1:] %}
                {%- else %}
                    {%- set system_message = "" %}
                {%- endif %}

                {#- System message #}
                {{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}
                {{- "Cutting Knowledge Date: December 2023\\n" }}
                {{- system_message }}
                {{- "<|eot_id|>" }}

                {%- for message in messages %}
                    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' -}}
                    {#- content, trimmed -#}
                    {{ message['content'] | trim + '<|eot_id|>' }}
                {%- endfor %}
                {%- if add_generation_prompt %}
                    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
                {%- endif %}
                """;
        String rendered = ChatTemplate.from(Optional.of(template), Fixture.JSON.createObjectNode()).orElseThrow()
                .render(List.of(new ChatMessage("system", "Be brief. "), new ChatMessage("user", "Tell me my fortune")),
                        Optional.of("<|bos|>"), Optional.of("<|eos|>"));
        assertEquals("<|bos|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
                + "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nTell me my fortune<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", rendered);
    }

    /**
     * Jinja2's lstrip_blocks strips the spaces and tabs before a block tag or comment only where nothing else stands
     * between the line's start and the tag; trim_blocks drops the one newline after a block tag or comment, not after
     * {{ }}; {%+ and +%} turn either off for their tag; {%- -%} strip all whitespace on their side. Jinjava stripped
     * the spaces before every block tag, mid-line too: "a {% if x %}b" rendered "ab", and a loop's
     * "{{ m.role }} {% endfor %}" lost the space between items. Expected: Jinja2 3.1's rendering (trim_blocks,
     * lstrip_blocks, as transformers renders).
     */
    @Test
    void blockWhitespaceIsTrimmedAsInJinja2() {
        String[][] cases = {
            {"a {% if true %}b{% endif %}", "a b"},
            {"a\t{% if true %}b {% endif %}c", "a\tb c"},
            {"{% for m in messages %}{{ m.role }} {% endfor %}|", "user assistant |"},
            {"  {% if true %}\nb\n  {% endif %}\nc", "b\nc"},
            {"x\n\t {% if true %}y\n {% endif %}z", "x\ny\nz"},
            {"{{ bos_token }}  {% if true %}x{% endif %}", "<s>  x"},
            {"{% if true %}  {% endif %}|", "  |"},
            {"{% if true %}\n  {% endif %}|", "|"},
            {"a  {%+ if true %}b{% endif %}", "a  b"},
            {"a\n  {%+ if true %}b{% endif %}", "a\n  b"},
            {"a  \n  {%- if true %}b{% endif %}", "ab"},
            {"{% if true -%}  \n  b{% endif %}", "b"},
            {"{% if true +%}\nb{% endif %}", "\nb"},
            {"{% if true %}\n\nb{% endif %}", "\nb"},
            {"{{ bos_token }}\nb", "<s>\nb"},
            {"a \n {{- bos_token -}} \n b", "a<s>b"},
            {"a\n  {{ bos_token }}", "a\n  <s>"},
            {"  {# c #}\nb", "b"},
            {"a {# c #} b", "a  b"},
            {"a\n  {# c #}  b", "a\n  b"},
            {"a  {#- c -#}  b", "ab"},
            {"a\n  {#+ c #}\nb", "a\n  b"},
            {"  {% raw %}\n {{ x }} {% if %}\n  {% endraw %}\nz", "\n {{ x }} {% if %}\nz"},
            {"a {% raw -%}  {{ x }}  {%- endraw %} b", "a {{ x }} b"},
            {"a\n    {% set x = 1 %}\nb{{ x }}", "a\nb1"},
            {"\u3000{% if true %}x{% endif %}", "x"},
            {"a\u00a0{% if true %}x{% endif %}", "a\u00a0x"},
            {"{{ '%}' }}  {% if true %}x{% endif %}", "%}  x"},
            {"{% set d = {'k': 'v'} %}\n  {{ d['k'] }}", "  v"},
            {"{%- for m in messages %}\n    {{- m.role }}\n{% endfor %}", "user\nassistant\n"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], render(c[0], new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")),
                    c[0]);
        }
    }

    /**
     * A minus that opens an expression after a space is arithmetic: only "{{-" strips whitespace. Jinjava's own
     * whitespace parser took "{{ -2.5 }}" as "{{- 2.5 }}" and printed 2.5. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void aLeadingMinusInsideAnExpressionIsNegation() {
        assertEquals("-2.5|-3|-1|-3|-1",
                render("{{ -2.5 }}|{% set n = 3 %}{{ -n }}|{{- -1 }}|{{ -n -}} |{{ [-1][0] }}"));
    }

    /**
     * An expression ends at the "}}" that closes its opening braces, not at a nested dict's closing braces: Jinjava
     * ended {{ {'a': {'b': 1}} }} after "1}}" and failed to parse the rest. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void anExpressionEndsAfterTheDictsItHolds() {
        assertEquals("{'a': {'b': 1}}|{'b': '}}'}|{\"a\": {\"c\": 2}}|{'k': {'v': 3}}",
                render("{{ {'a': {'b': 1}} }}|{{ {'a': {'b': '}}'}}['a'] }}|{{ {'a': {'c': 2}} | tojson }}|"
                        + "{% set d = {'k': {'v': 3}} %}{{ d }}"));
    }

    /**
     * A str method given an argument of the wrong type fails naming the method and the argument, as Python's
     * TypeError does: the casts failed with "ClassCastException: class java.lang.Long cannot be cast to class
     * java.lang.String ..." or "NullPointerException: Cannot invoke ...". None as find's start is its default.
     */
    @Test
    void aStrMethodsArgumentOfTheWrongTypeIsNamed() {
        Map<String, String> calls = Map.of("{{ 'abc'.split(1) }}", "str.split with 1",
                "{{ 'x'.startswith(none) }}", "str.startswith with None",
                "{{ 'x'.endswith(['y', 2]) }}", "str.endswith with 2",
                "{{ 'a'.count(none) }}", "str.count with None",
                "{{ 'abc'.split('b', 'x') }}", "str.split with 'x'",
                "{{ 'abc'.find('b', 1.5) }}", "str.find with 1.5",
                "{{ 'x'.removeprefix(1) }}", "str.removeprefix with 1",
                "{{ 'x'.strip(1) }}", "str.strip with 1",
                "{{ 'x' | trim(5) }}", "str.strip with 5");
        calls.forEach((template, named) -> {
            TokenizerException e = assertThrows(TokenizerException.class, () -> render(template), template);
            assertTrue(e.getMessage().contains("calls " + named) && !e.getMessage().contains("ClassCast")
                    && !e.getMessage().contains("NullPointer"), e.getMessage());
        });
        assertEquals("0|b c|['a', 'b']", render("{{ 'abc'.find('a', none) }}|{{ 'a b c'.split(none, 1)[1] }}|"
                + "{{ 'a b'.split(none, 4294967296) }}"));
    }

    /** The line breaks whitespace control removes still count: an error names the template's own line. */
    @Test
    void errorsNameTheTemplatesLineThroughTrimmedWhitespace() {
        TokenizerException e = assertThrows(TokenizerException.class,
                () -> render("a\n  {%- if true %}\n\n{# x\n #}\n{{ x | nosuch }}{% endif %}"));
        assertTrue(e.getMessage().contains("line 6"), e.getMessage());
        for (String unclosed : List.of("a\n{% if true", "a\n{{ 'x }}", "a\n{# x", "a\n{% raw %}x{% endif %}")) {
            e = assertThrows(TokenizerException.class, () -> render(unclosed), unclosed);
            assertTrue(e.getMessage().contains("never closed, at line 2")
                    || e.getMessage().contains("without {% endraw %}, at line 2"), e.getMessage());
        }
    }

    /**
     * A message went into the template as Map.of, whose iteration order is chosen by a seed drawn per JVM: a template
     * that iterates a message (items(), tojson) rendered role and content in either order from one run to the next.
     */
    @Test
    void aMessagesFieldsIterateInRoleThenContentOrder() {
        String template = "{% for m in messages %}{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}"
                + "{{ m | tojson }}{% endfor %}";
        String rendered = ChatTemplate.from(Optional.of(template), Fixture.JSON.createObjectNode()).orElseThrow()
                .render(List.of(new ChatMessage("user", "Hi")), Optional.empty(), Optional.empty());
        assertEquals("role=user;content=Hi;{\"role\": \"user\", \"content\": \"Hi\"}", rendered);
    }

    /**
     * A loop filter ({@code for m in messages if m.role != 'user'}) skips items before the loop counts them. Jinjava
     * read {@code messages if m.role != 'user'} as one conditional expression with m undefined: every message, or
     * none, went through. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void aLoopFilterSkipsItemsAsInJinja2() {
        String template = "{% for m in messages if m.role != 'user' %}{{ loop.index }}/{{ loop.length }}{{ m.role }};"
                + "{% else %}none{% endfor %}|{% for m in messages if m.role == 'tool' %}x{% else %}none{% endfor %}|"
                + "{% for k, v in messages[0].items() if k == 'content' %}{{ v }}{% endfor %}|"
                + "{% for m in messages if 'if' in m.content %}{{ m.role }}{% endfor %}|"
                + "{% for m in messages[1:] if m.content %}{{ m.content }}{% endfor %}";
        assertEquals("1/2system;2/2assistant;|none|a|user|b ifc", render(template, new ChatMessage("system", "a"),
                new ChatMessage("user", "b if"), new ChatMessage("assistant", "c")));
    }

    /**
     * A for loop over a dict runs over its keys, over a string its characters, as Python iterates them: Jinjava's ran
     * over a dict's values ({% for k in message %} gave 'user', 'Hi') and took a string as one item. Expected:
     * Jinja2 3.1's rendering.
     */
    @Test
    void aLoopIteratesADictsKeysAndAStringsCharacters() {
        String template = "{% for k in messages[0] %}{{ k }}={{ messages[0][k] }}{{ loop.length }};{% endfor %}|"
                + "{% for c in 'a\ud83d\ude00' %}{{ c }},{% endfor %}|"
                + "{% for c in 'ab' if c != 'a' %}{{ c }}{% endfor %}|{% for k in {} %}x{% else %}empty{% endfor %}";
        assertEquals("role=user2;content=Hi2;|a,\ud83d\ude00,|b|empty",
                render(template, new ChatMessage("user", "Hi")));
    }

    /**
     * loop.previtem and loop.nextitem, as falcon-rw-1b-chat's template reads them: Jinjava's loop has neither, so
     * {@code loop.previtem['role'] != 'assistant'} held after an assistant turn too and put a space there. Expected:
     * Jinja2 3.1's rendering.
     */
    @Test
    void loopPrevitemAndNextitemAreTheNeighbours() {
        String template = "{% for message in messages %}"
                + "{% if loop.index > 1 and loop.previtem['role'] != 'assistant' %}{{ ' ' }}{% endif %}"
                + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'].strip() }}"
                + "{% elif message['role'] == 'assistant' %}{{ '[RESP] '  + message['content'] + eos_token }}"
                + "{% endif %}{% endfor %}|"
                + "{% for m in messages %}{{ loop.previtem.role if loop.previtem is defined else '-' }}>"
                + "{{ m.role }}>{{ loop.nextitem.content if loop.nextitem is defined else '-' }}"
                + "{% for x in [1, 2] %}{{ loop.previtem }}{% endfor %};{% endfor %}";
        assertEquals("[INST] Hi [RESP] Hello</s>[INST] Bye|->user>Hello1;user>assistant>Bye1;assistant>user>-1;",
                render(template, new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello"),
                        new ChatMessage("user", "Bye")));
    }

    /**
     * transformers' tojson is json.dumps(x, ensure_ascii=False, indent, separators, sort_keys): ", " and ": " between
     * items, no HTML escaping. Jinjava's tojson printed compact JSON ({"role":"user"}) and ignored the arguments.
     * Expected: transformers' rendering (Jinja2 3.1 with its tojson).
     */
    @Test
    void tojsonFormatsAsPythonsJsonDumps() {
        String template = "{{ messages[0] | tojson }}|{{ messages | tojson(indent=2) }}|"
                + "{{ {'b': [1, 2.5, none, true, false], 'a': 'x', 'c': {}, 'n': none } | tojson(sort_keys=true) }}|"
                + "{{ messages[0].content | tojson(ensure_ascii=true) }}|"
                + "{{ [1, [2, []]] | tojson(indent=1, separators=(',', ':')) }}";
        String content = "Be <brief> & 'nice' \"\u00e9\"\n\t\u0001\u2028\ud83d\ude00";
        String json = "\"Be <brief> & 'nice' \\\"\u00e9\\\"\\n\\t\\u0001\u2028\ud83d\ude00\"";
        assertEquals("{\"role\": \"system\", \"content\": " + json + "}|[\n  {\n    \"role\": \"system\",\n"
                + "    \"content\": " + json + "\n  },\n  {\n    \"role\": \"user\",\n    \"content\": \"Hi\"\n  }\n]|"
                + "{\"a\": \"x\", \"b\": [1, 2.5, null, true, false], \"c\": {}, \"n\": null}|"
                + "\"Be <brief> & 'nice' \\\"\\u00e9\\\"\\n\\t\\u0001\\u2028\\ud83d\\ude00\"|"
                + "[\n 1,\n [\n  2,\n  []\n ]\n]",
                render(template, new ChatMessage("system", content), new ChatMessage("user", "Hi")));
    }

    /**
     * tojson's indent is a count of spaces (a bool counts as 0 or 1, as in Python) or a string; anything else is
     * refused naming the argument. indent=true failed with "ClassCastException: class java.lang.Boolean cannot be
     * cast to class java.lang.Number". Expected: transformers' rendering.
     */
    @Test
    void tojsonIndentsByABoolAsPythonCountsIt() {
        assertEquals("[\n 1\n]|[\n1\n]", render("{{ [1] | tojson(indent=true) }}|{{ [1] | tojson(indent=false) }}"));
        TokenizerException e = assertThrows(TokenizerException.class, () -> render("{{ [1] | tojson(indent=[1]) }}"));
        assertTrue(e.getMessage().contains("tojson indent") && !e.getMessage().contains("ClassCast"), e.getMessage());
    }

    /**
     * A for loop's else body renders only when the loop ran no iteration. Jinjava knew no else in a for: it rendered
     * the else body after every iteration's body, and nothing for an empty sequence. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void forElseRendersTheElseBodyOnlyForAnEmptySequence() {
        String template = """
                {% for m in messages %}
                {{ m.role }};
                {% else %}
                none
                {% endfor %}
                |{% for x in [] %}{{ x }}{% else %}empty{% if messages %} but {{ messages|length }} messages\
                {% else %}!{% endif %}{% endfor %}|
                {%- for m in messages %}{% if m.role == 'user' %}u{% else %}o{% endif %}{% else %}never{% endfor %}""";
        assertEquals("system;\nuser;\n|empty but 2 messages|ou",
                render(template, new ChatMessage("system", "a"), new ChatMessage("user", "b")));
    }

    /**
     * Jinja2 prints values as Python's str does: True and False, floats as repr, lists and dicts with each item's
     * repr (quoted strings, None). Jinjava printed true, false, 1.0E20, [1, a, null, true] and {role=system, ...}.
     * An undefined variable (Jinjava cannot tell it from None) stays ''. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void valuesPrintAsPythonsStr() {
        String template = "{{ true }}|{{ messages|length > 1 }}|{{ [1, 'a', none, true, 2.5] }}|{{ messages[0] }}|"
                + "{{ {'k': [false], 'n': none} }}|{{ [\"it's\", 'a\"b', messages[1].content] }}|"
                + "{{ 'n' ~ false ~ 1 ~ [true] }}|{{ 1e20 }}|{{ 0.1 }}|{{ nope }}|{{ messages[1].items()|list }}";
        String content = "Sys 'q' \"d\"\n\u00e9\t\u0001\\\u2028\ud83d\ude00";
        String rendered = render(template, new ChatMessage("system", content), new ChatMessage("user", "it's"));
        assertEquals("True|True|[1, 'a', None, True, 2.5]|"
                + "{'role': 'system', 'content': 'Sys \\'q\\' \"d\"\\n\u00e9\\t\\x01\\\\\\u2028\ud83d\ude00'}|"
                + "{'k': [False], 'n': None}|[\"it's\", 'a\"b', \"it's\"]|nFalse1[True]|1e+20|0.1||"
                + "[('role', 'user'), ('content', \"it's\")]", rendered);
    }

    /**
     * A float prints as Python's repr, the shortest digits that read back as it: Java 17's Double.toString gives more
     * for some (9.999999999999999E22 for 1e23, 4.9E-324 for 5e-324). Expected: Jinja2 3.1's rendering.
     */
    @Test
    void floatsPrintTheirShortestDigits() {
        assertEquals("1e+23|2e+23|-2.3184525677263325e+17|[1e+23, 5e-324]|0.30000000000000004",
                render("{{ 1e23 }}|{{ 2e23 }}|{{ 0 - 2.31845256772633248e17 }}|{{ [1e23, 5e-324] | tojson }}|"
                        + "{{ 0.1 + 0.2 }}"));
    }

    /**
     * The string and join filters make Python's str of a value, as printing does: Jinjava's gave Java's "true",
     * "[1, x, false]", "{role=user, content=Hi}". Expected: Jinja2 3.1's rendering.
     */
    @Test
    void stringAndJoinFiltersUsePythonsStr() {
        String template = "{{ true|string }}|{{ (1 == 1)|string + '!' }}|{{ 2.5|string }}|{{ [1, 'x', false]|string }}|"
                + "{{ messages[0]|string }}|{{ (7 // 2)|string }}|{{ [1, true, 'x', 0.5]|join(', ') }}|"
                + "{{ [[1], [2, 'b']]|join }}|{{ messages|join(' ', attribute='role') }}|"
                + "{{ messages|map(attribute='content')|join('/') }}|{{ 'a\ud83d\ude00c'|join('-') }}|"
                + "{{ messages[0]|join(',') }}";
        assertEquals("True|True!|2.5|[1, 'x', False]|{'role': 'user', 'content': 'Hi'}|3|1, True, x, 0.5|[1][2, 'b']|"
                + "user assistant|Hi/Hello|a-\ud83d\ude00-c|role,content",
                render(template, new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")));
    }

    /** Jinja2 3.1's items filter: a dict's (key, value) pairs; Jinjava has none, so it was an unknown filter. */
    @Test
    void theItemsFilterGivesADictsPairs() {
        String template = "{% for k, v in messages[0]|items %}{{ k }}={{ v }};{% endfor %}|"
                + "{{ messages[1]|items|list }}|{{ {}|items|list }}";
        assertEquals("role=user;content=Hi;|[('role', 'assistant'), ('content', 'Hello')]|[]",
                render(template, new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")));
        TokenizerException e = assertThrows(TokenizerException.class, () -> render("{{ 'ab'|items|list }}"));
        assertTrue(e.getMessage().contains("items"), e.getMessage());
    }

    /**
     * Jinja2's {@code not} binds looser than comparisons, and a keyword argument's value is a whole expression.
     * Jinjava parsed {@code not m['role'] == 'user'} (EXAONE's template) as {@code (not m['role']) == 'user'} and
     * Qwen3's {@code namespace(last_query_index=messages|length - 1)} as {@code (last_query_index=...) - 1}, an error.
     * Expected: Jinja2 3.1's rendering.
     */
    @Test
    void notAndKeywordArgumentsParseAsInJinja2() {
        String template = "{% set ns = namespace(last=messages|length - 1, first=not messages) %}{{ ns.last }}|"
                + "{% if not ns.first %}n{% endif %}{% for m in messages %}"
                + "{% if not m['role'] == 'user' %}[{{ m.role }}]{% endif %}{% if not m.role != 'user' %}u{% endif %}"
                + "{% if not 'x' in m.content %}-{% endif %}"
                + "{% if not nope is defined and not not m.content %}d{% endif %}"
                + "{% endfor %}";
        assertEquals("2|n[system]du-d[assistant]-d", render(template, new ChatMessage("system", "xy"),
                new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")));
    }

    /**
     * Jinja2's trim is Python's str.strip: Unicode whitespace (no-break and ideographic spaces, U+2028) goes, control
     * characters stay, and trim('x') strips those characters. Jinjava trimmed as Java's String.trim, the opposite on
     * both counts, in Llama 3.x's {@code message['content'] | trim}. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void trimStripsAsPython() {
        String template = "{% for m in messages %}[{{ m.content | trim }}]{% endfor %}|{{ 'xxaxx' | trim('x') }}|"
                + "{{ 'ab  ' | trim }}";
        assertEquals("[Sys\n x\u3000\u0001][Hi there]|a|ab", render(template,
                new ChatMessage("system", "\u00a0 Sys\n x\u3000\u0001"),
                new ChatMessage("user", "\u3000Hi there\u00a0\u2028")));
    }

    /**
     * The Python str and dict methods templates call (Qwen3's, DeepSeek-R1's): Jinjava called Java's methods, so
     * startswith, lstrip, upper ... failed, split took a regular expression and dropped trailing empty parts
     * ('x</think>'.split('</think>')[-1] gave 'x'), and s[0] gave ''. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void pythonStringAndDictMethodsBehaveAsInPython() {
        String template = "{% for m in messages %}{{ 'y' if m.content.startswith('<t') else 'n' }}"
                + "{{ 'y' if m.content.endswith(('x', 'o.')) else 'n' }}"
                + "[{{ m.content.strip() }}|{{ m.content.lstrip('<th') }}|{{ m.content.rstrip('.\\n') }}]"
                + "{{ m.content.upper() }}{{ m.content.lower() }}{{ m.content.split('</think>')|length }}"
                + "[{{ m.content.split('</think>')[-1] }}]{{ m.content.split()|join('_') }}"
                + "{{ m.content.split('\\n', 1)|length }}{{ m.content.replace('e', 'E') }}"
                + "{{ m.content[0] }}{{ m.content[-1] }}[{{ m.content[99] }}]"
                + "{{ m.get('role', 'none') }}{{ m.get('tool_calls', 'none') }};{% endfor %}";
        String rendered = render(template, new ChatMessage("user", "\u00a0 Hi there\n"),
                new ChatMessage("assistant", "<think>\nhmm\n</think>"),
                new ChatMessage("assistant", "<think>a</think>\n\nHello."));
        assertEquals("nn[Hi there|\u00a0 Hi there\n|\u00a0 Hi there]\u00a0 HI THERE\n\u00a0 hi there\n1"
                + "[\u00a0 Hi there\n]Hi_there2\u00a0 Hi thErE\n\u00a0\n[]usernone;"
                + "yn[<think>\nhmm\n</think>|ink>\nhmm\n</think>|<think>\nhmm\n</think>]<THINK>\nHMM\n</THINK>"
                + "<think>\nhmm\n</think>2[]<think>_hmm_</think>2<think>\nhmm\n</think><>[]assistantnone;"
                + "yy[<think>a</think>\n\nHello.|ink>a</think>\n\nHello.|<think>a</think>\n\nHello]"
                + "<THINK>A</THINK>\n\nHELLO.<think>a</think>\n\nhello.2[\n\nHello.]<think>a</think>_Hello.2"
                + "<think>a</think>\n\nHEllo.<.[]assistantnone;", rendered);
    }

    /**
     * str.title and str.capitalize, as openchat-3.5's template writes {@code message['role'].title()}: Jinjava had
     * neither, and the template failed. Python's title starts a word after every uncased character (3rd is 3Rd).
     * Expected: Jinja2 3.1's rendering.
     */
    /**
     * More of Python's str methods that chat templates call; Jinjava found them on java.lang.String or not at all
     * (sep.join(list), s.find, s.count, s.rsplit, s.isdigit, s.removeprefix, s.removesuffix: errors). Indices count
     * code points, as Python's do. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void moreStrMethodsBehaveAsInPython() {
        String[][] cases = {
            {"{{ ', '.join(['a', 'b']) }}|{{ '-'.join(messages|map(attribute='role')) }}|{{ ''.join('xyz') }}",
                    "a, b|user-assistant|xyz"},
            {"{{ 'hello'.find('l') }}|{{ 'hello'.find('z') }}|{{ 'hello'.find('l', 3) }}|{{ 'hello'.find('l', -2) }}|"
                    + "{{ 'a\ud83d\ude00b'.find('b') }}", "2|-1|3|3|2"},
            {"{{ 'banana'.count('a') }}|{{ 'aaaa'.count('aa') }}|{{ 'abc'.count('') }}|"
                    + "{{ 'a\ud83d\ude00'.count('') }}", "3|2|4|3"},
            {"{{ 'a,b,c'.rsplit(',', 1) }}|{{ ' a  b '.rsplit() }}|{{ 'a,b,c'.rsplit(',') }}|"
                    + "{{ ' a b c '.rsplit(none, 1) }}|{{ 'a,,b'.rsplit(',', 1) }}",
                    "['a,b', 'c']|['a', 'b']|['a', 'b', 'c']|[' a b', 'c']|['a,', 'b']"},
            {"{{ '123'.isdigit() }}|{{ '12a'.isdigit() }}|{{ ''.isdigit() }}|{{ '\u00b2\u0663'.isdigit() }}|"
                    + "{{ '\u00bd'.isdigit() }}", "True|False|False|True|False"},
            {"{{ '<think>x'.removeprefix('<think>') }}|{{ 'x</think>'.removesuffix('</think>') }}|"
                    + "{{ 'ab'.removeprefix('z') }}", "x|x|ab"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], render(c[0], new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")),
                    c[0]);
        }
        // Python refuses to join anything but strings.
        TokenizerException e = assertThrows(TokenizerException.class, () -> render("{{ ', '.join(['a', 1]) }}"));
        assertTrue(e.getMessage().contains("str.join on an item that is no string: 1"), e.getMessage());
    }

    /**
     * split(None, maxsplit) keeps the whitespace at the end of its last part, as Python's does; it was stripped
     * (' a b c '.split(None, 1) gave ['a', 'b c']). Expected: Jinja2 3.1's rendering.
     */
    @Test
    void splitOnWhitespaceKeepsTheRestAsItIs() {
        assertEquals("['a', 'b c ']|['a b  ']|['  a b']|['a', 'b\\n']", render("{{ ' a b c '.split(none, 1) }}|"
                + "{{ '  a b  '.split(none, 0) }}|{{ '  a b  '.rsplit(none, 0) }}|{{ 'a\tb\n'.split(none, 1) }}"));
    }

    /**
     * String literals decode Python's escapes, as Jinja2 does: Jinjava knew only \n \t \b \f \r and the quotes, and
     * refused the rest (\x41, \\u2581: "invalid escape sequence"). An unknown escape stays as written; a malformed
     * one is an error. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void stringLiteralsDecodePythonsEscapes() {
        String template = "{{ \"\\u00e9\\x41\\n\\t\\\\|\\U0001F600|it\\'s\\\"|\\d\\q|\\101\\0\\08|"
                + "\\a\\b\\f\\v\\r|\\N{BULLET}|\\\u00e9\" }}|{{ '\\u2581\\x7f' }}|{{ '\\\\n' }}|{{ 'a\\\nb' }}";
        assertEquals("\u00e9A\n\t\\|\ud83d\ude00|it's\"|\\d\\q|A\u0000\u00008|\u0007\b\f\u000b\r|\u2022|\\xe9|"
                + "\u2581\u007f|\\n|ab", render(template));
        for (String bad : List.of("{{ '\\x4' }}", "{{ '\\u12' }}", "{{ '\\U00110000' }}", "{{ '\\N{NO SUCH}' }}")) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> render(bad), bad);
            assertTrue(e.getMessage().contains("escape"), e.getMessage());
        }
    }

    /**
     * str.format with positional, numbered and named fields, !r and !s, and {{ }} for braces, as in Python; Jinjava
     * found no format method on java.lang.String. Fields it does not implement (format specs, attributes) are an
     * error naming them, as are Python's own refusals. Expected: Jinja2 3.1's rendering.
     */
    @Test
    void strFormatFillsFieldsAsInPython() {
        String template = "{{ '{} and {}'.format(1, 'x') }}|{{ '{0}{1}{0}'.format('a', true) }}|"
                + "{{ '{name}!'.format(name='Bo') }}|{{ '{{x}}{}'.format(2.5) }}|{{ '{!r}{!s}'.format('a', [1]) }}|"
                + "{{ '{}}}'.format(messages[0].role) }}";
        assertEquals("1 and x|aTruea|Bo!|{x}2.5|'a'[1]|user}", render(template, new ChatMessage("user", "Hi")));
        for (String bad : List.of("{{ '{:>3}'.format(1) }}", "{{ '{}{0}'.format(1) }}", "{{ '{1}'.format(1) }}",
                "{{ '{'.format(1) }}", "{{ '}'.format(1) }}", "{{ '{x}'.format(1) }}")) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> render(bad), bad);
            assertTrue(e.getMessage().contains("str.format"), e.getMessage());
        }
    }

    @Test
    void titleAndCapitalizeBehaveAsInPython() {
        String template = "{{ bos_token }}{% for message in messages %}"
                + "{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}"
                + "{% endfor %}{% if add_generation_prompt %}{{ 'GPT4 Correct Assistant:' }}{% endif %}|"
                + "{{ messages[0].content.title() }}|{{ messages[0].content.capitalize() }}";
        assertEquals("<s>GPT4 Correct User: hello 3rd wORLD's \u01c6<|end_of_turn|>GPT4 Correct Assistant: x"
                + "<|end_of_turn|>GPT4 Correct Assistant:|Hello 3Rd World'S \u01c5|Hello 3rd world's \u01c6",
                render(template, new ChatMessage("user", "hello 3rd wORLD's \u01c6"),
                        new ChatMessage("assistant", "x")));
    }

    /** Slices with a step, as in Qwen3's messages[::-1]: Jinjava refused the second colon. Expected: Jinja2 3.1's. */
    @Test
    void slicesWithAStepReverse() {
        String template = "{% for m in messages[::-1] %}{{ m.role }}{{ m.content[::-1] }}{{ m.content[::2] }}"
                + "{{ m.content[:: -2] }}|{% endfor %}{{ messages[1:] | length }}{{ messages[:1] | length }}"
                + "{{ messages[:-1] | length }}{{ (messages[::-1]|first).role }}{{ messages[::-1][0].role }}";
        assertEquals("assistantolleHHloolH|useriHHi|systemyxxy|212assistantassistant", render(template,
                new ChatMessage("system", "xy"), new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")));
    }

    /**
     * Qwen3's chat template (Qwen3-8B's tokenizer_config.json), which Jinjava could not render at all: earlier
     * turns lose their reasoning, the last keeps it. Expected: transformers' rendering (Jinja2 3.1).
     */
    @Test
    void qwen3RendersAsInTransformers() throws java.io.IOException {
        String template;
        try (var in = getClass().getResourceAsStream("qwen3.jinja")) {
            template = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String rendered = render(template, new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", "<think>\nhmm\n</think>\n\nHello."),
                new ChatMessage("user", "Tell me my fortune"),
                new ChatMessage("assistant", "<think>\nok\n</think>\n\nSoon."));
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nTell me my fortune<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nok\n</think>\n\nSoon.<|im_end|>\n<|im_start|>assistant\n", rendered);
    }

    /**
     * Jinja2 refuses a filter or test it does not know ("No filter named 'strip'"); Jinjava rendered it as nothing,
     * so a template written for another engine's filters silently rendered another prompt.
     */
    @Test
    void anUnknownFilterOrTestIsAnErrorNamingIt() {
        for (String[] unknown : new String[][] {{"{{ messages[0].content | strip }}", "filter", "strip"},
                {"{% for m in messages %}{{ m | nosuch(1) }}{% endfor %}", "filter", "nosuch"},
                {"{% if messages[0].role is nosuch %}x{% endif %}", "test", "nosuch"}}) {
            TokenizerException e = assertThrows(TokenizerException.class,
                    () -> render(unknown[0], new ChatMessage("user", "Hi")), unknown[0]);
            assertTrue(e.getMessage().contains("No " + unknown[1] + " named '" + unknown[2] + "'"), e.getMessage());
        }
        assertEquals("Hi|s", render("{{ messages[0].content | trim }}|{% if messages[0].role is string %}s{% endif %}",
                new ChatMessage("user", " Hi ")));
    }

    /**
     * transformers registers a {@code {% generation %}...{% endgeneration %}} block (its AssistantTracker, which marks
     * the assistant's tokens for training masks) and renders its body as it stands; Jinjava knew no such tag and
     * refused the template. Expected: Jinja2 3.1 with transformers' extension.
     */
    @Test
    void aGenerationBlockRendersItsBody() {
        String template = """
                {% for m in messages %}<|{{ m.role }}|>
                {% if m.role == 'assistant' %}
                  {% generation %}
                {{ m.content }}<|end|>
                  {% endgeneration %}
                {% else %}
                {{ m.content }}<|end|>
                {% endif %}
                {% endfor %}
                {%- generation -%} {{ 'x' }} {%- endgeneration %}
                """;
        assertEquals("<|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\nx",
                render(template, new ChatMessage("user", "Hi"), new ChatMessage("assistant", "Hello")));
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

    private static String render(String template, ChatMessage... messages) {
        return ChatTemplate.from(Optional.of(template), Fixture.JSON.createObjectNode()).orElseThrow()
                .render(List.of(messages), Optional.of("<s>"), Optional.of("</s>"));
    }
}
