package dev.stride.job.report;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Row-level aggregates, accumulated while the Parquet files stream by. Token totals and the acceptance histogram
 * cover every row, as the job's summary does. The tokens-per-pass distribution counts ok rows that ran at least one
 * decode pass (the column is 0 otherwise); latency and the mean token log-probability count ok rows, as failed rows
 * stopped early or never started.
 */
final class RowStats {

    private long rows;
    private long failed;
    private long completionTokens;
    private final Map<String, Long> errorsByKind = new TreeMap<>();
    private long[] acceptHistogram = new long[0];
    private final DoubleColumn tokensPerPass = new DoubleColumn();
    private final DoubleColumn decodeMs = new DoubleColumn();
    private double logprobSum;
    private long logprobTokens;

    void add(OutputRow row) {
        rows++;
        completionTokens += row.completionTokens();
        if (row.acceptHistogram().length > acceptHistogram.length) {
            acceptHistogram = Arrays.copyOf(acceptHistogram, row.acceptHistogram().length);
        }
        for (int i = 0; i < row.acceptHistogram().length; i++) {
            acceptHistogram[i] += row.acceptHistogram()[i];
        }
        if (!row.ok()) {
            failed++;
            errorsByKind.merge(row.errorKind(), 1L, Long::sum);
            return;
        }
        if (row.tokensPerPass() > 0) {
            tokensPerPass.add(row.tokensPerPass());
        }
        decodeMs.add(row.decodeMs());
        logprobSum += row.logprobSum();
        logprobTokens += row.logprobTokens();
    }

    long rows() {
        return rows;
    }

    long failed() {
        return failed;
    }

    long completionTokens() {
        return completionTokens;
    }

    Map<String, Long> errorsByKind() {
        return Collections.unmodifiableMap(errorsByKind);
    }

    /** Element i: decode passes that yielded i + 1 tokens, summed over all rows like the job's summary. */
    long[] acceptHistogram() {
        return acceptHistogram.clone();
    }

    double[] tokensPerPass() {
        return tokensPerPass.toArray();
    }

    double[] decodeMs() {
        return decodeMs.toArray();
    }

    /** Mean log-probability of the output tokens of ok rows that carry logprobs; null when none do. */
    Double meanTokenLogprob() {
        return logprobTokens == 0 ? null : logprobSum / logprobTokens;
    }
}
