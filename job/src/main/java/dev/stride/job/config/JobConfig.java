package dev.stride.job.config;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.job.cluster.TaskSpread;
import java.io.Serializable;
import java.util.List;

/**
 * Everything one generation run needs, resolved from the command line or from StrideGenerator's params.
 * Serializable because executors receive it with the partition function; paths are strings for the same reason.
 * The command line and StrideGenerator start from the same defaults (the DEFAULT_ constants here and the decoder's).
 *
 * @param input Parquet input of a command-line run; null for StrideGenerator
 * @param output output dataset of a command-line run; null for StrideGenerator
 * @param heads prediction heads directory; null for plain decoding (always null when mode is AR)
 * @param stop stop strings of rows without a stop column value
 * @param logprobs alternatives to report with each completion token's log-probability (0 to
 *     {@link GenerationRequest#MAX_LOGPROBS}), or {@link #NO_LOGPROBS}; rows may override it
 * @param threads engine compute threads per executor; 0 lets the engine use the physical cores
 * @param idColumn the id column the user named (its absence is then an error), or null: "id" when the input has it,
 *     else ids derived from file name and row position
 * @param keepColumns input columns copied to the output, or null for all of them
 * @param partitions repartition the input to this many partitions; 0 spreads the rows by estimated work
 *     ({@link TaskSpread})
 * @param dedupeFirst keep each input id's first row instead of refusing an input with duplicate ids
 *     (command-line runs; see InputIds)
 * @param weights how executors hold the weights ({@code q8}, {@code q8-keep-head}, {@code packed}, ...), or null for
 *     {@code -Dstride.weights}, else auto
 */
public record JobConfig(String input, String output, String model, String heads, DecodingMode mode, String tree,
                        int maxNewTokens, float temperature, int topK, float topP, long seed, List<String> stop,
                        int logprobs, int maxBatch, int threads, String device, String promptColumn, String idColumn,
                        List<String> keepColumns, boolean resume, int partitions, boolean chat,
                        boolean dedupeFirst, String weights)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** --logprobs left off. */
    public static final int NO_LOGPROBS = GenerationRequest.NO_LOGPROBS;
    /** cpu unless asked: a cluster's executors get a GPU only where Spark assigns one. */
    public static final String DEFAULT_DEVICE = "cpu";
    public static final String DEFAULT_PROMPT_COLUMN = "prompt";

    public JobConfig {
        stop = stop == null ? List.of() : List.copyOf(stop);
        keepColumns = keepColumns == null ? null : List.copyOf(keepColumns);
        if (mode == DecodingMode.AR) {
            heads = null;
        }
    }

    public DecoderOptions decoderOptions() {
        return new DecoderOptions(mode, tree, maxBatch);
    }

    /** Throws IllegalArgumentException naming the first setting out of range. */
    public void check(OptionNames names) {
        try {
            new SamplingParams(temperature, topK, topP, seed);
        } catch (IllegalArgumentException e) {
            // Its message starts with the request key (top_p); the setting is --top-p on the command line, topP here.
            String[] key = e.getMessage().split(" ", 2);
            throw new IllegalArgumentException(names.ofKey(key[0]) + " " + key[1], e);
        }
        if (mode == DecodingMode.MTP && heads == null) {
            throw new IllegalArgumentException(names.of("mode") + " mtp needs prediction heads (" + names.of("heads")
                    + ")");
        }
        requireAtLeast(1, maxNewTokens, names.of("maxNewTokens"));
        requireAtLeast(1, maxBatch, names.of("maxBatch"));
        if (logprobs != NO_LOGPROBS && (logprobs < 0 || logprobs > GenerationRequest.MAX_LOGPROBS)) {
            throw new IllegalArgumentException(names.of("logprobs") + " must be between 0 and "
                    + GenerationRequest.MAX_LOGPROBS + ", got " + logprobs);
        }
        requireAtLeast(0, threads, names.of("threads"));
        // On the driver, so a run is refused once instead of failing in every task where the engine starts.
        if (threads > ComputePool.MAX_THREADS) {
            throw new IllegalArgumentException(names.of("threads") + " must be <= " + ComputePool.MAX_THREADS
                    + ", got " + threads);
        }
        requireAtLeast(0, partitions, names.of("partitions"));
        TreeSpecs.checkForm(tree, names.of("tree"));
        if (!device.matches("cpu|auto|cuda(:\\d+)?")) {
            throw new IllegalArgumentException(names.of("device") + " must be cpu, auto, cuda or cuda:N, got "
                    + device);
        }
        // On the driver: where an executor loads the model, each of a StrideGenerator's tasks failed in turn.
        if (weights != null && !WeightLayout.CHOICES.contains(weights)) {
            throw new IllegalArgumentException(names.of("weights") + " must be " + WeightLayout.choicesText()
                    + ", got " + weights);
        }
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException(names.of("stop") + " strings must be non-empty, got " + stop);
        }
    }

    /** This config with other model, heads and tree locations. */
    public JobConfig withLocations(String model, String heads, String tree) {
        return new JobConfig(input, output, model, heads, mode, tree, maxNewTokens, temperature, topK, topP, seed,
                stop, logprobs, maxBatch, threads, device, promptColumn, idColumn, keepColumns, resume, partitions,
                chat, dedupeFirst, weights);
    }

    private static void requireAtLeast(int minimum, int value, String name) {
        if (value < minimum) {
            throw new IllegalArgumentException(name + " must be >= " + minimum + ", got " + value);
        }
    }
}
