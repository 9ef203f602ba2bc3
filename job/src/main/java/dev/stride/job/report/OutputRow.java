package dev.stride.job.report;

/** The columns of one output row (docs/job-output.md) that the report reads; the rest are never decoded. */
record OutputRow(int completionTokens, double tokensPerPass, int[] acceptHistogram, double decodeMs, String error) {

    static final String[] COLUMNS = {"completion_tokens", "tokens_per_pass", "accept_histogram", "decode_ms", "error"};

    boolean ok() {
        return error == null;
    }

    /** The part of {@code <kind>: <message>} before the colon. */
    String errorKind() {
        int colon = error.indexOf(':');
        return (colon < 0 ? error : error.substring(0, colon)).trim();
    }
}
