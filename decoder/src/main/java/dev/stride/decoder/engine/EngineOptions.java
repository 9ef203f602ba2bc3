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
 */
public record EngineOptions(Path modelDir, Path headsDir, int threads, String device, long kvCacheBytes) {

    public static final long DEFAULT_KV_CACHE_BYTES = 2L << 30;

    public static EngineOptions cpu(Path modelDir, Path headsDir) {
        return new EngineOptions(modelDir, headsDir, 0, "cpu", DEFAULT_KV_CACHE_BYTES);
    }
}
