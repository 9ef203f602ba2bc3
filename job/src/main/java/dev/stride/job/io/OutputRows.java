package dev.stride.job.io;

import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.TokenLogprob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

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
        // Spark's row encoder takes arrays as Scala sequences.
        Seq<Integer> histogram = CollectionConverters.asScala(Arrays.stream(acceptHistogram).boxed().toList()).toSeq();
        Object[] result = {completion, finishReason, promptTokens, completionTokens, forwardPasses, tokensPerPass,
            histogram, decodeNanos / 1e6, model, heads, mode, executor, error};
        System.arraycopy(result, 0, values, keptCount + 1, result.length);
        if (logprobsColumn) {
            values[values.length - 1] = logprobs == null ? null : logprobs(logprobs);
        }
        return RowFactory.create(values);
    }

    /** The {@link JobSchema#LOGPROBS_COLUMN} value: per token (id, logprob, top: [(id, logprob), ...]). */
    private static Seq<Row> logprobs(List<TokenLogprob> tokens) {
        List<Row> rows = new ArrayList<>(tokens.size());
        for (TokenLogprob token : tokens) {
            List<Row> top = new ArrayList<>(token.topIds().length);
            for (int i = 0; i < token.topIds().length; i++) {
                top.add(RowFactory.create(token.topIds()[i], token.topLogprobs()[i]));
            }
            rows.add(RowFactory.create(token.id(), token.logprob(), CollectionConverters.asScala(top).toSeq()));
        }
        return CollectionConverters.asScala(rows).toSeq();
    }
}
