package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

class DetokenizerTest {

    private static StrideTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = StrideTokenizer.load(Fixture.dir());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "日本語のテキスト",
        "emoji 😀🎉 and 👩‍👩‍👧 family",
        "café, naïve\n\t-- Ünïcödé Ωmega ∑ 🙂",
        "You will be rich.\n\t\t-- Anonymous",
    })
    void streamsCompleteCharactersOnly(String text) {
        int[] ids = tokenizer.encodeRaw(text);
        String streamed = stream(tokenizer.encode("Prompt: "), ids);
        assertEquals(tokenizer.decode(ids), streamed);
    }

    @Test
    void multiByteCharactersReallySpanSeveralIds() {
        // Guards the test above: without ids that hold partial characters it would prove nothing.
        int[] ids = tokenizer.encodeRaw("日本語 😀");
        assertTrue(Arrays.stream(ids).anyMatch(id -> tokenizer.decode(new int[] {id}).contains("\uFFFD")));
    }

    @Test
    void referenceGenerationsStreamLikeTheirFullDecode() throws IOException {
        for (String line : Files.readAllLines(Fixture.dir().resolve("references.jsonl"))) {
            JsonNode reference = Fixture.JSON.readTree(line);
            int[] prompt = Fixture.JSON.convertValue(reference.get("prompt_ids"), int[].class);
            int[] generated = Fixture.JSON.convertValue(reference.get("greedy_ids"), int[].class);
            assertEquals(tokenizer.decode(generated), stream(prompt, generated));
        }
    }

    @Test
    void partialCharacterIsHeldUntilCompleteOrFlushed() {
        int[] ids = tokenizer.encodeRaw("a😀");
        int last = ids.length - 1;
        IncrementalDetokenizer completed = tokenizer.newDetokenizer(new int[] {0});
        IncrementalDetokenizer cutShort = tokenizer.newDetokenizer(new int[] {0});
        StringBuilder held = new StringBuilder();
        for (int i = 0; i < last; i++) {
            held.append(completed.push(ids[i]));
            cutShort.push(ids[i]);
        }
        assertEquals("a", held.toString());
        assertEquals("😀", completed.push(ids[last]));
        assertEquals("", completed.flush());
        // At the end of generation the incomplete bytes show up as a full decode shows them.
        String partial = tokenizer.decode(Arrays.copyOf(ids, last));
        assertTrue(partial.endsWith("\uFFFD"));
        assertEquals(partial.substring(1), cutShort.flush());
        assertEquals(partial, cutShort.text());
    }

    @Test
    void decodeWindowStaysBounded() {
        AtomicInteger widest = new AtomicInteger();
        IncrementalDetokenizer detokenizer = new IncrementalDetokenizer(tokenizer.encode("Start"), ids -> {
            widest.accumulateAndGet(ids.length, Math::max);
            return tokenizer.decode(ids);
        }, id -> id <= 1);
        int[] ids = tokenizer.encodeRaw("Fortune 😀 favours the bold, 日本.\n".repeat(300));
        for (int id : ids) {
            detokenizer.push(id);
        }
        detokenizer.flush();
        assertTrue(ids.length > 3000);
        assertTrue(widest.get() <= 16, "decoded a window of " + widest.get() + " ids");
    }

    /** Pushes ids one by one and checks every emitted piece; returns the streamed text. */
    private static String stream(int[] prompt, int[] ids) {
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer(prompt);
        StringBuilder out = new StringBuilder();
        for (int id : ids) {
            String piece = detokenizer.push(id);
            assertFalse(piece.contains("\uFFFD"), "emitted a partial character after id " + id);
            out.append(piece);
        }
        out.append(detokenizer.flush());
        assertEquals(out.toString(), detokenizer.text());
        return out.toString();
    }
}
