package dev.stride.job.io;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import org.apache.spark.sql.types.StructType;

/**
 * Where the partition function finds things in a work row: the id at 0, the kept input columns at 1..keptCount,
 * then any other column generation reads. Indexes are -1 for columns the input does not have.
 */
public record RowLayout(int keptCount, int prompt, int maxNewTokens, int temperature, int topP, int topK, int seed,
                        int stop, int logprobs, int messages) implements Serializable {

    private static final long serialVersionUID = 1L;

    public static RowLayout of(StructType workSchema, int keptCount, String promptColumn) {
        // Index 0 is the output id, which may share its name with an input column; look past it.
        List<String> names = Arrays.asList(workSchema.fieldNames()).subList(1, workSchema.size());
        ToIntFunction<String> index = name -> {
            int at = names.indexOf(name);
            return at < 0 ? -1 : at + 1;
        };
        return new RowLayout(keptCount, index.applyAsInt(promptColumn), index.applyAsInt(JobSchema.MAX_NEW_TOKENS),
                index.applyAsInt(JobSchema.TEMPERATURE), index.applyAsInt(JobSchema.TOP_P),
                index.applyAsInt(JobSchema.TOP_K), index.applyAsInt(JobSchema.SEED),
                index.applyAsInt(JobSchema.STOP), index.applyAsInt(JobSchema.LOGPROBS),
                index.applyAsInt(JobSchema.MESSAGES));
    }
}
