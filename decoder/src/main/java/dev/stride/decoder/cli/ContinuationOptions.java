package dev.stride.decoder.cli;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.train.ContinuationGenerator;
import dev.stride.decoder.train.ProgressBar;
import dev.stride.decoder.train.TokenSequence;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How many of the model's own continuations of the prompts a command decodes, and how: {@code train-heads} trains on
 * them, {@code draft-vocabulary} counts their tokens. Each command gives its own defaults (picocli shows the initial
 * values as defaults).
 */
final class ContinuationOptions {

    @Option(names = "--samples", description = "Continuations to decode, cycling through the prompts (default:"
            + " ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--greedy-share", description = {"Share of greedy continuations; the rest are sampled at"
            + " temperature 0.7-1.0 (default: ${DEFAULT-VALUE}).",
        "Greedy data counts most for greedy decoding, sampled data for sampled decoding."})
    double greedyShare;

    @Option(names = "--max-new-tokens", description = "Tokens per continuation (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 128;

    ContinuationOptions(int samples, double greedyShare) {
        this.samples = samples;
        this.greedyShare = greedyShare;
    }

    void validate() {
        if (samples <= 0 || maxNewTokens <= 0) {
            throw new UsageException("--samples and --max-new-tokens must be > 0");
        }
        if (!(greedyShare >= 0 && greedyShare <= 1)) {
            throw new UsageException("--greedy-share must be in [0, 1], got " + greedyShare);
        }
    }

    /** The continuations of {@code prompts} (token ids), with a progress bar on {@code log}. */
    List<TokenSequence> generate(Engine engine, List<int[]> prompts, long seed, PrintStream log) {
        ProgressBar bar = new ProgressBar(log, "generating", samples);
        List<TokenSequence> sequences = ContinuationGenerator.generate(engine, prompts, samples, greedyShare,
                maxNewTokens, seed, done -> bar.update(done, "continuations"));
        bar.finish();
        return sequences;
    }
}
