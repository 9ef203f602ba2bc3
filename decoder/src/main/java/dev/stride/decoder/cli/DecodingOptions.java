package dev.stride.decoder.cli;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.EngineOptions;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options shared by commands that load a model and decode. */
final class DecodingOptions {

    @Option(names = "--model", required = true, description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--heads", description = "Prediction heads directory (enables multi-token decoding).")
    Path heads;

    @Option(names = "--mode", description = "ar or mtp (default: mtp when --heads is given, else ar).")
    String mode;

    @Option(names = "--tree", defaultValue = DecoderOptions.DEFAULT_TREE,
            description = "Candidate tree: auto, static, chain:K, nodes:N or file:PATH (default: ${DEFAULT-VALUE}).")
    String tree;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (0 = all CPUs).")
    int threads;

    @Option(names = "--device", defaultValue = "auto",
            description = "cpu, auto or cuda[:N] (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--max-batch", defaultValue = "" + DecoderOptions.DEFAULT_MAX_BATCH,
            description = "Sequences decoded together (default: ${DEFAULT-VALUE}; at most the rows 256 MiB of "
                    + "logits hold: 256 for a 262,144-token vocabulary, whose trees are cut to fit too).")
    int maxBatch;

    @Option(names = "--kv-cache-mb", defaultValue = "2048",
            description = "KV cache budget in MiB, on the CPU at most what the heap has (default: ${DEFAULT-VALUE}).")
    long kvCacheMb;

    @Mixin
    WeightsOption weights = new WeightsOption();

    EngineOptions engineOptions() {
        if (kvCacheMb < 1 || kvCacheMb > Long.MAX_VALUE >> 20) {
            throw new UsageException("--kv-cache-mb " + kvCacheMb + ": expected 1 to "
                    + (Long.MAX_VALUE >> 20));
        }
        UsageException.checked(() -> ComputePool.threadsFor(threads)); // Engine.load's check, as a usage error
        return new EngineOptions(model, heads, threads, device, kvCacheMb << 20, weights.choice);
    }

    DecodingMode decodingMode() {
        DecodingMode resolved;
        try {
            resolved = DecodingMode.resolve(mode, heads != null);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--mode " + mode + ": expected ar or mtp", e);
        }
        if (resolved == DecodingMode.MTP && heads == null) {
            throw new UsageException("--mode " + mode + ": multi-token decoding needs prediction heads (--heads DIR)");
        }
        return resolved;
    }

    DecoderOptions decoderOptions() {
        if (maxBatch < 1) {
            throw new UsageException("--max-batch " + maxBatch + ": expected 1 or more");
        }
        DecodingMode decodingMode = decodingMode();
        return UsageException.checked(() -> new DecoderOptions(decodingMode, tree, maxBatch)); // the tree's form
    }
}
