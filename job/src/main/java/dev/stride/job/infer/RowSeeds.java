package dev.stride.job.infer;

import java.nio.charset.StandardCharsets;

/**
 * Seeds for rows that bring none: a fixed 64-bit hash of (job seed, row id), so a row samples the same tokens in
 * every run, whatever the partitioning, batch or executor.
 */
public final class RowSeeds {

    private static final long FNV_PRIME = 0x100000001B3L;

    private RowSeeds() {
    }

    /** FNV-1a over the id's UTF-8 bytes, started from the mixed job seed and finished with SplitMix64's mixer. */
    public static long derive(long jobSeed, String id) {
        long hash = mix(jobSeed);
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return mix(hash);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
