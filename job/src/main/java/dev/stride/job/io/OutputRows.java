package dev.stride.job.io;

import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.TokenLogprob;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.Predef$;

/**
 * Builds output rows (id, kept input columns, {@link JobSchema#RESULT}, then {@link JobSchema#LOGPROBS_COLUMN} when
 * the run has it) from work rows and results.
 */
public final class OutputRows {

    private final int keptCount;
    private final String model;
    private final String heads;
    private final String mode;
    private final String executor;
    private final boolean logprobsColumn;

    public OutputRows(int keptCount, String model, String heads, String mode, String executor, boolean logprobsColumn) {
        this.keptCount = keptCount;
        this.model = model;
        this.heads = heads;
        this.mode = mode;
        this.executor = executor;
        this.logprobsColumn = logprobsColumn;
    }

    public Row completed(Row input, GenerationResult result) {
        if (!result.ok()) {
            return row(input, null, null, result.promptTokens(), result.completionTokens(), result.forwardPasses(),
                    result.tokensPerPass(), result.acceptHistogram(), result.decodeNanos(),
                    ErrorKind.fromEngine(result.error()), null);
        }
        return row(input, result.completion(), result.finishReason().wireName(), result.promptTokens(),
                result.completionTokens(), result.forwardPasses(), result.tokensPerPass(), result.acceptHistogram(),
                result.decodeNanos(), null, result.logprobs());
    }

    public Row failed(Row input, String error, int promptTokens) {
        return row(input, null, null, promptTokens, 0, 0, 0.0, new int[0], 0L, error, null);
    }

    private Row row(Row input, String completion, String finishReason, int promptTokens, int completionTokens,
                    int forwardPasses, double tokensPerPass, int[] acceptHistogram, long decodeNanos, String error,
                    List<TokenLogprob> logprobs) {
        Object[] values = new Object[keptCount + 1 + JobSchema.RESULT.size() + (logprobsColumn ? 1 : 0)];
        for (int i = 0; i <= keptCount; i++) {
            values[i] = input.get(i);
        }
        Object[] result = {completion, finishReason, promptTokens, completionTokens, forwardPasses, tokensPerPass,
            Predef$.MODULE$.wrapIntArray(acceptHistogram), decodeNanos / 1e6, model, heads, mode, executor, error};
        System.arraycopy(result, 0, values, keptCount + 1, result.length);
        if (logprobsColumn) {
            values[values.length - 1] = logprobs == null ? null : logprobs(logprobs);
        }
        return RowFactory.create(values);
    }

    /** The {@link JobSchema#LOGPROBS_COLUMN} value: per token (id, logprob, top: [(id, logprob), ...]). */
    private static Object logprobs(List<TokenLogprob> tokens) {
        Row[] rows = new Row[tokens.size()];
        for (int t = 0; t < rows.length; t++) {
            TokenLogprob token = tokens.get(t);
            Row[] top = new Row[token.topIds().length];
            for (int i = 0; i < top.length; i++) {
                top[i] = RowFactory.create(token.topIds()[i], token.topLogprobs()[i]);
            }
            rows[t] = RowFactory.create(token.id(), token.logprob(), seq(top));
        }
        return seq(rows);
    }

    /**
     * An array as the Scala sequence Spark's row encoder takes for an array column. Its type differs between Scala
     * 2.12 and 2.13 (WrappedArray, ArraySeq), so callers see an Object.
     */
    private static Object seq(Row[] values) {
        return Predef$.MODULE$.wrapRefArray(values);
    }
}
