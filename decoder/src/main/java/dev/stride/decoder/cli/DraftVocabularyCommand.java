package dev.stride.decoder.cli;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.decoder.train.TokenSequence;
import dev.stride.decoder.train.TrainingPrompts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code stride draft-vocabulary}: a draft vocabulary for heads that came without one (trained elsewhere), ranked
 * from the model's own continuations of the user's prompts, as {@code train-heads} ranks its training data's.
 */
@Command(name = "draft-vocabulary", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Decode your prompts with the model and keep, beside the heads, the tokens it writes most"
                + " often, as many as cover 95 %% of its continuation tokens (DIR/" + DraftVocabulary.FILE + "). The"
                + " heads then propose only those tokens, which makes a head level cheaper; outputs never change"
                + " (every token is still the model's choice).",
            "For heads trained elsewhere (FasterDecoding, vLLM); train-heads writes the file itself."})
public final class DraftVocabularyCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--heads", required = true, paramLabel = "DIR",
            description = "Heads directory of this model; the list is written into it.")
    Path heads;

    @Option(names = "--prompts", required = true, description = "Prompts like those you will decode: .jsonl"
            + " ({\"prompt\": ...} per line) or .txt (one per line).")
    Path prompts;

    /**
     * Sampled continuations spread the counts over many more tokens: on the demo 512 samples at a greedy share of 0.5
     * took 768 tokens for 95 %, at 0.8 384 (chain:2 then 1.16x the whole vocabulary's speed at the same tokens per
     * pass).
     */
    @Mixin
    ContinuationOptions continuations = new ContinuationOptions(512, 0.8);

    @Option(names = "--seed", defaultValue = "0",
            description = "Seed of the sampled continuations (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (0 = all CPUs).")
    int threads;

    /** The tokens of a q8 model are counted under q8, as it will decode. */
    @Mixin
    WeightsOption weights = new WeightsOption();

    @Option(names = "--force", description = "Replace a draft vocabulary the heads directory already has (it is"
            + " removed before the heads load, so a damaged one is replaced too; a run that fails puts it back).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        continuations.validate();
        int threadCount = UsageException.checked(() -> ComputePool.threadsFor(threads));
        PrintStream log = System.err;
        Path file = heads.resolve(DraftVocabulary.FILE);
        if (Files.exists(file) && !force) {
            throw new IllegalArgumentException(file + " exists (give --force to replace it)");
        }
        List<String> texts = TrainingPrompts.read(prompts);
        // Removed first, so the heads below load without the list they replace; put back if this run fails.
        byte[] earlier = Files.exists(file) ? Files.readAllBytes(file) : null;
        boolean replaced = Files.deleteIfExists(file);
        long[] counts;
        // Loading the heads with the model checks that they belong to it (the list is for their vocabulary).
        try (Engine engine = Engine.load(new EngineOptions(model, heads, threadCount, "cpu",
                EngineOptions.DEFAULT_KV_CACHE_BYTES, weights.choice))) {
            List<int[]> ids = TrainingPrompts.tokenize(engine, texts, prompts);
            List<TokenSequence> sequences = continuations.generate(engine, ids, seed, log);
            counts = new long[engine.model().config().vocabSize()];
            for (TokenSequence sequence : sequences) {
                sequence.countContinuation(counts);
            }
        } catch (RuntimeException e) {
            if (earlier != null) {
                Files.write(file, earlier);
            }
            throw e;
        }
        DraftVocabulary vocabulary = DraftVocabulary.of(counts);
        if (vocabulary == null) {
            log.printf("draft-vocabulary: covering %.0f %% of the continuation tokens takes the whole vocabulary of %d;"
                    + " no list written%s%n", 100 * DraftVocabulary.COVERAGE, counts.length,
                    replaced ? " (the earlier " + file + " removed: the heads propose from every token)" : "");
            return 0;
        }
        vocabulary.write(heads);
        log.printf(Locale.ROOT, "draft-vocabulary: %d of %d tokens cover %.1f %% of %d continuation tokens; wrote %s%n",
                vocabulary.size(), counts.length, 100 * vocabulary.coverage(), vocabulary.countedTokens(), file);
        return 0;
    }
}
