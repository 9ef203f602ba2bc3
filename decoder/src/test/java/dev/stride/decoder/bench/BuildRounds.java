package dev.stride.decoder.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * One build's side of {@link BuildsSideBySide}: loaded in that build's class loader, it decodes the model's
 * reference prompts as {@code bench} does (greedy, a fixed number of new tokens), one round per call. Its only
 * types in and out are the JDK's, so the two builds' classes never meet; of the engine it uses only what has kept
 * its shape since the first builds (loading, decoders, the request and result records), so that it runs against
 * builds of other commits too.
 */
public final class BuildRounds {

    private static final int PROMPTS = 24;
    private static final int NEW_TOKENS = 64;
    private static Engine engine; // one per build: each class loader has its own

    private BuildRounds() {
    }

    /**
     * Decoding rounds of {@code tree} ({@code plain} for plain decoding) at {@code batch}: each call decodes every
     * prompt once and gives its tokens per second (a Double) and a digest of the completions (a String).
     */
    public static synchronized Supplier<List<Object>> rounds(String model, String heads, String tree, int batch,
                                                             int threads) throws IOException {
        if (engine == null) {
            engine = Engine.load(new EngineOptions(Path.of(model), Path.of(heads), threads, "cpu",
                    EngineOptions.DEFAULT_KV_CACHE_BYTES));
            engine.warmUp();
        }
        List<GenerationRequest> requests = prompts(Path.of(model, "references.jsonl"));
        boolean plain = tree.equals("plain");
        DecoderOptions options = new DecoderOptions(plain ? DecodingMode.AR : DecodingMode.MTP,
                plain ? DecoderOptions.DEFAULT_TREE : tree, batch);
        return () -> round(options, requests);
    }

    /**
     * One timed round, as {@code bench} times its own (BenchCommand.run): spelled out here because a helper shared
     * with the command would be missing from the older builds this class runs against.
     */
    private static List<Object> round(DecoderOptions options, List<GenerationRequest> requests) {
        long start = System.nanoTime();
        List<GenerationResult> results;
        try (BatchDecoder decoder = engine.newDecoder(options)) {
            requests.forEach(decoder::submit);
            results = decoder.runToCompletion();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        results.sort(Comparator.comparing(GenerationResult::id));
        long tokens = 0;
        int digest = 1;
        for (GenerationResult result : results) {
            if (!result.ok()) {
                throw new IllegalStateException("request " + result.id() + " failed: " + result.error());
            }
            tokens += result.completionTokens();
            digest = 31 * digest + Arrays.hashCode(result.completionIds());
        }
        return List.of(tokens / seconds, Integer.toHexString(digest));
    }

    private static List<GenerationRequest> prompts(Path references) throws IOException {
        ObjectMapper json = new ObjectMapper();
        SamplingParams greedy = new SamplingParams(0f, 0, 1f, 1234);
        List<GenerationRequest> requests = new ArrayList<>();
        for (String line : Files.readAllLines(references, StandardCharsets.UTF_8)) {
            if (!line.isBlank() && requests.size() < PROMPTS) {
                int[] ids = engine.tokenizer().encode(json.readTree(line).get("prompt").asText());
                requests.add(new GenerationRequest(String.format("%04d", requests.size()), ids, NEW_TOKENS, greedy,
                        List.of(), true));
            }
        }
        return requests;
    }
}
