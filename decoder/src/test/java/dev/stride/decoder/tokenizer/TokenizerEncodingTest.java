package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

class TokenizerEncodingTest {

    private static StrideTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = StrideTokenizer.load(Fixture.dir());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void everyReferencePromptEncodesToItsIds() throws IOException {
        List<String> lines = Files.readAllLines(Fixture.dir().resolve("references.jsonl"));
        assertEquals(24, lines.size());
        for (String line : lines) {
            JsonNode reference = Fixture.JSON.readTree(line);
            String prompt = reference.get("prompt").asText();
            int[] expected = Fixture.JSON.convertValue(reference.get("prompt_ids"), int[].class);
            assertArrayEquals(expected, tokenizer.encode(prompt), prompt);
        }
    }

    @Test
    void encodeAddsBosOnceAndEncodeRawAddsNothing() {
        int[] ids = tokenizer.encode("A fool and his money");
        assertArrayEquals(new int[] {0, 67, 1353, 304, 467, 1212}, ids);
        assertArrayEquals(new int[] {67, 1353, 304, 467, 1212}, tokenizer.encodeRaw("A fool and his money"));
        assertArrayEquals(new int[] {0}, tokenizer.encode(""));
        // Special tokens written in the text are recognised as such.
        assertArrayEquals(new int[] {0, 67, 1}, tokenizer.encodeRaw("<|bos|>A<|eos|>"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Hello, world!",
        "line one\nline two\n\n\ttabbed\t\tline\r\n",
        "  leading and trailing spaces  ",
        "café, naïve, résumé: é",
        "日本語のテキスト",
        "emoji 😀🎉 and 👩‍👩‍👧 family",
        "mixed: ü ß Ω ∑ 日本 🙂\n\t-- Anonymous",
    })
    void decodeInvertsEncode(String text) {
        assertEquals(text, tokenizer.decode(tokenizer.encode(text)));
        assertEquals(text, tokenizer.decode(tokenizer.encodeRaw(text)));
    }

    /**
     * Half of a surrogate pair alone (JSON input may write "\\ud83d") is no Unicode text: the native tokenizer once
     * encoded it as three U+FFFD, a prompt other than the one given; transformers refuses it, and so must this.
     */
    @ParameterizedTest
    @ValueSource(strings = {"a\uD83Db", "\uDE00", "ends with \uD83D", "\uDE00\uD83D"})
    void unpairedSurrogatesAreRefusedNamingWhere(String text) {
        int at = 0;
        while (!Character.isSurrogate(text.charAt(at))) {
            at++;
        }
        List<Function<String, int[]>> encoders = List.of(tokenizer::encode, tokenizer::encodeRaw);
        for (Function<String, int[]> encoder : encoders) {
            TokenizerException e = assertThrows(TokenizerException.class, () -> encoder.apply(text));
            assertTrue(e.getMessage().contains("unpaired surrogate") && e.getMessage().contains("index " + at),
                    e.getMessage());
        }
        // A pair is one character, encoded as such.
        assertEquals("a\uD83D\uDE00b", tokenizer.decode(tokenizer.encode("a\uD83D\uDE00b")));
    }

    @Test
    void decodeSkipsSpecialTokens() {
        assertEquals("AA", tokenizer.decode(new int[] {0, 67, 1, 67, 1}));
    }

    @Test
    void longInputIsNotTruncated() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append("Fortune ").append(i).append(" favours the bold.\n");
        }
        int[] ids = tokenizer.encode(text.toString());
        assertTrue(ids.length > 2000, "only " + ids.length + " tokens");
        assertEquals(text.toString(), tokenizer.decode(ids));
    }

    @Test
    void specialIdsAndVocabularyComeFromTheFixture() {
        assertEquals(0, tokenizer.bosId().getAsInt());
        assertEquals(Set.of(1), tokenizer.eosIds());
        assertEquals(2048, tokenizer.vocabSize());
    }
}
