package dev.stride.job;

import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.GenerationRequest;
import java.io.Serializable;
import java.util.List;

/**
 * Everything one generation run needs, resolved from the command line. Serializable because executors receive it
 * with the partition function; paths are strings for the same reason.
 *
 * @param heads prediction heads directory; null for plain decoding (always null when mode is AR)
 * @param logprobs alternatives to report with each completion token's log-probability (0 to
 *     {@link GenerationRequest#MAX_LOGPROBS}), or {@link #NO_LOGPROBS}; rows may override it
 * @param threads engine compute threads per executor; 0 lets the engine use the physical cores
 * @param idColumn the id column the user named (its absence is then an error), or null: "id" when the input has it,
 *     else ids derived from file name and row position
 * @param keepColumns input columns copied to the output, or null for all of them
 * @param partitions repartition the input to this many partitions; 0 spreads the rows by estimated work
 *     ({@link TaskSpread})
 * @param weights how executors hold the weights ({@code q8}, {@code q8-keep-head}, {@code packed}, ...), or null for
 *     {@code -Dstride.weights}, else auto
 */
public record JobConfig(String input, String output, String model, String heads, DecodingMode mode, String tree,
                        int maxNewTokens, float temperature, int topK, float topP, long seed, int logprobs,
                        int maxBatch,
                        int threads, String device, String promptColumn, String idColumn,
                        List<String> keepColumns, boolean resume, int partitions, boolean chat, String weights)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** --logprobs left off. */
    public static final int NO_LOGPROBS = GenerationRequest.NO_LOGPROBS;

    public JobConfig {
        keepColumns = keepColumns == null ? null : List.copyOf(keepColumns);
        if (mode == DecodingMode.AR) {
            heads = null;
        }
    }

    public DecoderOptions decoderOptions() {
        return new DecoderOptions(mode, tree, maxBatch);
    }
}
