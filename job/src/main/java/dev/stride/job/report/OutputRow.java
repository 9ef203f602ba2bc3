package dev.stride.job.report;

/**
 * The columns of one output row (docs/job-output.md) that the report reads; the rest are never decoded.
 *
 * @param logprobSum sum of the row's per-token log-probabilities ({@link #LOGPROBS} column, its {@code logprob}
 *     fields only), 0 when the row has none
 * @param logprobTokens how many tokens that sum covers: 0 when the output has no logprobs column or the row's is null
 */
record OutputRow(int completionTokens, double tokensPerPass, int[] acceptHistogram, double decodeMs, String error,
                 double logprobSum, int logprobTokens) {

    static final String[] COLUMNS = {"completion_tokens", "tokens_per_pass", "accept_histogram", "decode_ms", "error"};

    /** Optional: only runs with --logprobs have it. */
    static final String LOGPROBS = "logprobs";

    OutputRow(int completionTokens, double tokensPerPass, int[] acceptHistogram, double decodeMs, String error) {
        this(completionTokens, tokensPerPass, acceptHistogram, decodeMs, error, 0.0, 0);
    }

    boolean ok() {
        return error == null;
    }

    /** The part of {@code <kind>: <message>} before the colon. */
    String errorKind() {
        int colon = error.indexOf(':');
        return (colon < 0 ? error : error.substring(0, colon)).trim();
    }
}
