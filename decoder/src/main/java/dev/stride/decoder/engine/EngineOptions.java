package dev.stride.decoder.engine;

import java.nio.file.Path;

/**
 * What to load and on what.
 *
 * @param modelDir Hugging Face model directory
 * @param headsDir prediction heads directory, or null for none
 * @param threads compute threads (0 = physical cores)
 * @param device "cpu", "auto" or "cuda[:N]"
 * @param kvCacheBytes memory budget for all KV caches of this engine
 * @param weights how to hold the weights ({@code auto}, {@code packed}, {@code streamed}, {@code q8},
 *                {@code q8-keep-head}); null for {@code -Dstride.weights}, else auto
 */
public record EngineOptions(Path modelDir, Path headsDir, int threads, String device, long kvCacheBytes,
                            String weights) {

    public static final long DEFAULT_KV_CACHE_BYTES = 2L << 30;

    public EngineOptions(Path modelDir, Path headsDir, int threads, String device, long kvCacheBytes) {
        this(modelDir, headsDir, threads, device, kvCacheBytes, null);
    }

    /** These options with the weights held as {@code choice} asks. */
    public EngineOptions withWeights(String choice) {
        return new EngineOptions(modelDir, headsDir, threads, device, kvCacheBytes, choice);
    }

    public static EngineOptions cpu(Path modelDir, Path headsDir) {
        return new EngineOptions(modelDir, headsDir, 0, "cpu", DEFAULT_KV_CACHE_BYTES);
    }
}
