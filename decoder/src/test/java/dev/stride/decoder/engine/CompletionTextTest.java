package dev.stride.decoder.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.forward.ForwardBackend;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The completion text a result carries must equal decoding its completion ids as a whole, cut at the first stop
 * string, whichever way the sequence ended (BatchDecoder.finish, StopRules, IncrementalDetokenizer).
 */
class CompletionTextTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A backend whose greedy choice at each position follows a script: the model "generates" exactly those ids. */
    private static final class ScriptedBackend implements ForwardBackend {
        private final ModelConfig config;
        private final int promptLength;
        private final int[] script;

        ScriptedBackend(ModelConfig config, int promptLength, int[] script) {
            this.config = config;
            this.promptLength = promptLength;
            this.script = script;
        }

        @Override
        public ModelConfig config() {
            return config;
        }

        @Override
        public void forward(PassBatch batch, PassOutput out) {
            out.ensure(batch.size(), batch.logitRows());
            int logitRow = 0;
            for (int row = 0; row < batch.size(); row++) {
                if (!batch.wantsLogits(row)) {
                    continue;
                }
                int offset = out.logitsOffset(logitRow++);
                Arrays.fill(out.logits(), offset, offset + config.vocabSize(), 0f);
                int next = batch.position(row) + 1 - promptLength;
                out.logits()[offset + script[Math.min(next, script.length - 1)]] = 10f;
            }
        }

        @Override
        public KvCacheBudget kvCacheBudget(long requestedBytes) {
            return new KvCacheBudget(config, requestedBytes);
        }

        @Override
        public String device() {
            return "script";
        }

        @Override
        public void close() {
        }
    }

    /** Runs one greedy request whose model emits {@code script}; the text factory is Engine.newDecoder's. */
    private static GenerationResult generate(StrideTokenizer tokenizer, ModelConfig config, int[] prompt, int[] script,
                                             int maxNew, List<String> stops) {
        TextStream.Factory text = Engine.textOf(tokenizer);
        ScriptedBackend backend = new ScriptedBackend(config, prompt.length, script);
        try (BatchDecoder decoder = new BatchDecoder(backend, backend.kvCacheBudget(64L << 20), null,
                tokenizer.eosIds(), text, 1)) {
            decoder.submit(new GenerationRequest("r", prompt, maxNew, SamplingParams.GREEDY, stops));
            List<GenerationResult> results = decoder.runToCompletion();
            assertEquals(1, results.size());
            return results.get(0);
        }
    }

    private static Path fixture() {
        return Path.of(System.getProperty("stride.fixture.dir"));
    }

    /** The fixture's byte-level BPE with one more multi-byte token: id 2047 becomes " " + the lead byte 0xE6. */
    private Path byteLevelWithSpaceLeadByte() throws Exception {
        for (String name : List.of("tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            Files.copy(fixture().resolve(name), dir.resolve(name));
        }
        ObjectNode tokenizer = (ObjectNode) JSON.readTree(dir.resolve("tokenizer.json").toFile());
        ObjectNode model = (ObjectNode) tokenizer.get("model");
        ObjectNode vocab = (ObjectNode) model.get("vocab");
        assertEquals(2047, vocab.get("Ġones").asInt());
        vocab.remove("Ġones");
        vocab.put("Ġ\u00e6", 2047); // byte-level "Ġæ" = bytes 0x20 0xE6: a space, then the start of e.g. 日 (E6 97 A5)
        var merges = model.withArray("merges");
        for (int i = merges.size() - 1; i >= 0; i--) {
            if (merges.get(i).asText().equals("Ġon es")) {
                merges.remove(i);
            }
        }
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
        return dir;
    }

    /**
     * Stop string "bold " completed by a token that also starts a multi-byte character, and generation ends (max
     * new tokens) before the character completes: the detokenizer holds that text back, so the rules look for stop
     * strings in what it still holds when the sequence ends (they once missed this one).
     */
    @Test
    void stopStringBeforeAnUnfinishedCharacterIsFoundWhenGenerationEnds() throws Exception {
        try (StrideTokenizer tokenizer = StrideTokenizer.load(byteLevelWithSpaceLeadByte())) {
            ModelConfig config = ModelConfig.read(fixture());
            int[] prompt = tokenizer.encode("Fortune favours the");
            int[] bold = tokenizer.encodeRaw(" bold");
            int[] script = new int[bold.length + 1];
            System.arraycopy(bold, 0, script, 0, bold.length);
            script[bold.length] = 2047;
            assertEquals(" bold \uFFFD", tokenizer.decode(script));

            GenerationResult result = generate(tokenizer, config, prompt, script, script.length, List.of("bold "));
            String whole = tokenizer.decode(result.completionIds());
            assertEquals(whole.substring(0, whole.indexOf("bold ")), result.completion(),
                    "finish " + result.finishReason());
            assertEquals(FinishReason.STOP, result.finishReason());
        }
    }

    /** Same, ended by EOS instead of the token budget. */
    @Test
    void stopStringBeforeAnUnfinishedCharacterIsFoundWhenEosFollows() throws Exception {
        try (StrideTokenizer tokenizer = StrideTokenizer.load(byteLevelWithSpaceLeadByte())) {
            ModelConfig config = ModelConfig.read(fixture());
            int[] prompt = tokenizer.encode("Fortune favours the");
            int[] bold = tokenizer.encodeRaw(" bold");
            int[] script = Arrays.copyOf(bold, bold.length + 2);
            script[bold.length] = 2047;
            script[bold.length + 1] = 1; // EOS
            GenerationResult result = generate(tokenizer, config, prompt, script, 64, List.of("bold "));
            String whole = tokenizer.decode(result.completionIds());
            assertEquals(whole.substring(0, whole.indexOf("bold ")), result.completion(),
                    "finish " + result.finishReason());
            assertEquals(FinishReason.STOP, result.finishReason());
        }
    }

    /** A Llama-2 style SentencePiece tokenizer.json: Metaspace normalizer, decoder strips one leading space. */
    private Path sentencePiece() throws Exception {
        String[] pieces = {"<unk>", "<s>", "</s>", "▁Q", ":", "▁Hello", ".", "▁Bye"};
        ObjectNode vocab = JSON.createObjectNode();
        for (int i = 0; i < pieces.length; i++) {
            vocab.put(pieces[i], i);
        }
        String special = """
                {"id": %d, "content": "%s", "single_word": false, "lstrip": false, "rstrip": false,
                 "normalized": false, "special": true}""";
        String tokenizer = """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [%s, %s, %s],
                 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
                 "pre_tokenizer": null,
                 "post_processor": {"type": "TemplateProcessing",
                   "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                   "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                   "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
                 "decoder": {"type": "Sequence", "decoders": [
                   {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"},
                   {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
                 "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                   "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "vocab": %s, "merges": []}}
                """.formatted(special.formatted(0, "<unk>"), special.formatted(1, "<s>"),
                special.formatted(2, "</s>"), vocab);
        Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"unk_token\":\"<unk>\",\"add_bos_token\":true}");
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\":1,\"eos_token_id\":2}");
        return dir;
    }

    /**
     * With a decoder that strips the leading space of the text (Llama 2, Mistral, TinyLlama), a completion ended
     * by a stop string is the whole decode cut at it, as other completions are the whole decode: the streamed text
     * (" Hello") once gave the same ids another text than "Hello" by finish reason.
     */
    @Test
    void stopCompletionIsTheDecodeOfItsIdsWithLeadingSpaceStrippingDecoders() throws Exception {
        try (StrideTokenizer tokenizer = StrideTokenizer.load(sentencePiece())) {
            ModelConfig config = ModelConfig.read(fixture());
            int[] prompt = {1, 3, 4}; // <s> ▁Q :
            int[] script = {5, 6, 7, 2}; // ▁Hello . ▁Bye </s>
            GenerationResult eos = generate(tokenizer, config, prompt, script, 64, List.of());
            assertEquals(FinishReason.EOS, eos.finishReason());
            assertEquals("Hello. Bye", eos.completion());
            GenerationResult stop = generate(tokenizer, config, prompt, script, 64, List.of("."));
            assertEquals(FinishReason.STOP, stop.finishReason());
            String whole = tokenizer.decode(stop.completionIds());
            assertEquals(whole.substring(0, whole.indexOf('.')), stop.completion());
        }
    }

    /** Control: a stop string inside characters split over byte tokens is found (fixture vocabulary as is). */
    @Test
    void stopStringInsideSplitCharactersIsFound() {
        try (StrideTokenizer tokenizer = StrideTokenizer.load(fixture())) {
            ModelConfig config = ModelConfig.read(fixture());
            int[] prompt = tokenizer.encode("Fortune:");
            int[] script = tokenizer.encodeRaw(" a日本語b");
            GenerationResult result = generate(tokenizer, config, prompt, script, 64, List.of("本"));
            assertEquals(FinishReason.STOP, result.finishReason());
            assertEquals(" a日", result.completion());
        }
    }
}
