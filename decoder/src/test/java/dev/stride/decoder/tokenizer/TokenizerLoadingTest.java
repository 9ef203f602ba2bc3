package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

class TokenizerLoadingTest {

    @TempDir
    Path dir;

    @Test
    void missingTokenizerJsonIsNamed() {
        TokenizerException e = assertThrows(TokenizerException.class, () -> StrideTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void brokenJsonIsNamed() throws IOException {
        Fixture.copyTo(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": ");
        TokenizerException e = assertThrows(TokenizerException.class, () -> StrideTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString()), e.getMessage());
    }

    /** An added_tokens_decoder key must be a token id: a token's text there is reported with the file and key. */
    @Test
    void addedTokensDecoderKeyThatIsNoIdIsNamed() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "tokenizer_config.json", c -> {
            ObjectNode decoder = (ObjectNode) c.get("added_tokens_decoder");
            decoder.set("<|bos|>", decoder.remove("0"));
        });
        TokenizerException e = assertThrows(TokenizerException.class, () -> StrideTokenizer.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("tokenizer_config.json").toString())
                && e.getMessage().contains("\"<|bos|>\""), e.getMessage());
    }

    @Test
    void eosListInGenerationConfigIsUnionedWithConfigEos() {
        Fixture.copyTo(dir);
        Fixture.edit(dir, "generation_config.json", g -> g.putArray("eos_token_id").add(5).add(7));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertEquals(Set.of(1, 5, 7), tokenizer.eosIds());
        }
    }

    /** Ids of another type would be read as no id ("5") or as token 0 ("eos"): refused, naming file and key. */
    @Test
    void generationConfigIdsThatAreNotIntegersAreNamed() {
        Fixture.copyTo(dir);
        Path file = dir.resolve("generation_config.json");
        for (String eos : new String[] {"\"5\"", "[5, \"eos\"]", "[5.5]", "{}", "true"}) {
            Fixture.edit(dir, "generation_config.json", g -> g.set("eos_token_id", json(eos)));
            TokenizerException e = assertThrows(TokenizerException.class, () -> StrideTokenizer.load(dir), eos);
            assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("eos_token_id"),
                    e.getMessage());
        }
        Fixture.edit(dir, "generation_config.json", g -> g.put("eos_token_id", 5).put("bos_token_id", "0"));
        TokenizerException e = assertThrows(TokenizerException.class, () -> StrideTokenizer.load(dir));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("bos_token_id"),
                e.getMessage());
        Fixture.edit(dir, "generation_config.json", g -> g.putNull("bos_token_id").putNull("eos_token_id"));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertEquals(Set.of(1), tokenizer.eosIds()); // tokenizer_config.json's eos_token alone
        }
    }

    private static JsonNode json(String text) {
        try {
            return Fixture.JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void tokenObjectsInConfigAndMissingOptionalFiles() throws IOException {
        Fixture.copyTo(dir);
        Files.delete(dir.resolve("generation_config.json"));
        Fixture.edit(dir, "tokenizer_config.json", c -> {
            c.putObject("bos_token").put("content", "<|bos|>");
            c.putObject("eos_token").put("content", "<|eos|>");
        });
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertEquals(0, tokenizer.bosId().getAsInt());
            assertEquals(Set.of(1), tokenizer.eosIds());
        }
        Files.delete(dir.resolve("tokenizer_config.json"));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertEquals(Set.of(), tokenizer.eosIds());
            assertTrue(tokenizer.bosId().isEmpty());
            assertEquals("A", tokenizer.decode(new int[] {0, 67, 1}));
        }
    }

    @Test
    void addBosTokenPrependsBosWhenThePostProcessorDoesNot() {
        Fixture.copyTo(dir);
        // Keep only the ByteLevel step: the tokenizer itself no longer adds BOS.
        Fixture.edit(dir, "tokenizer.json",
                t -> t.set("post_processor", ((ObjectNode) t.get("post_processor")).get("processors").get(0)));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertArrayEquals(new int[] {0, 67}, tokenizer.encode("A"));
            assertArrayEquals(new int[] {0, 67}, tokenizer.encode("<|bos|>A"));
        }
        Fixture.edit(dir, "tokenizer_config.json", c -> c.put("add_bos_token", false));
        try (StrideTokenizer tokenizer = StrideTokenizer.load(dir)) {
            assertArrayEquals(new int[] {67}, tokenizer.encode("A"));
        }
    }
}
