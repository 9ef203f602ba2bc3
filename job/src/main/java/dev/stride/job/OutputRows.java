package dev.stride.job;

import dev.stride.decoder.engine.GenerationResult;
import java.util.Arrays;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/** Builds output rows (id, kept input columns, then {@link JobSchema#RESULT}) from work rows and results. */
final class OutputRows {

    private final int keptCount;
    private final String model;
    private final String heads;
    private final String mode;
    private final String executor;

    OutputRows(int keptCount, String model, String heads, String mode, String executor) {
        this.keptCount = keptCount;
        this.model = model;
        this.heads = heads;
        this.mode = mode;
        this.executor = executor;
    }

    Row completed(Row input, GenerationResult result) {
        if (!result.ok()) {
            return row(input, null, null, result.promptTokens(), result.completionTokens(), result.forwardPasses(),
                    result.tokensPerPass(), result.acceptHistogram(), result.decodeNanos(),
                    ErrorKind.fromEngine(result.error()));
        }
        return row(input, result.completion(), result.finishReason().wireName(), result.promptTokens(),
                result.completionTokens(), result.forwardPasses(), result.tokensPerPass(), result.acceptHistogram(),
                result.decodeNanos(), null);
    }

    Row failed(Row input, String error, int promptTokens) {
        return row(input, null, null, promptTokens, 0, 0, 0.0, new int[0], 0L, error);
    }

    private Row row(Row input, String completion, String finishReason, int promptTokens, int completionTokens,
                    int forwardPasses, double tokensPerPass, int[] acceptHistogram, long decodeNanos, String error) {
        Object[] values = new Object[keptCount + 1 + JobSchema.RESULT.size()];
        for (int i = 0; i <= keptCount; i++) {
            values[i] = input.get(i);
        }
        // Spark's row encoder takes arrays as Scala sequences.
        Seq<Integer> histogram = CollectionConverters.asScala(Arrays.stream(acceptHistogram).boxed().toList()).toSeq();
        Object[] result = {completion, finishReason, promptTokens, completionTokens, forwardPasses, tokensPerPass,
            histogram, decodeNanos / 1e6, model, heads, mode, executor, error};
        System.arraycopy(result, 0, values, keptCount + 1, result.length);
        return RowFactory.create(values);
    }
}
