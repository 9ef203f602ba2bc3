package dev.stride.decoder.engine;

import dev.stride.decoder.mtp.PassCostCurve;
import java.io.Serializable;
import java.util.Arrays;

/**
 * A decoder's decode passes by their size: how many carried each number of rows (tree nodes), and how many tokens
 * passes of each number of sequences yielded. With a {@link PassCostCurve} that prices the passes multi-token
 * decoding ran against the plain passes that would have made the same tokens at the same batch, which a ratio of
 * one tree against one row cannot: at batch 8 a plain pass already shares its weight reads among 8 rows.
 */
public final class PassLedger implements Serializable {

    private static final long serialVersionUID = 1L;

    private long[] passesByRows = new long[0];
    private long[] tokensBySequences = new long[0];

    /** A decode pass of {@code sequences} sequences carrying {@code rows} rows, yielding {@code tokens} tokens. */
    public void record(int sequences, int rows, int tokens) {
        passesByRows = grown(passesByRows, rows);
        passesByRows[rows]++;
        tokensBySequences = grown(tokensBySequences, sequences);
        tokensBySequences[sequences] += tokens;
    }

    /** Adds {@code other}'s passes to these (a run's partitions into the run's). */
    public void add(PassLedger other) {
        passesByRows = summed(passesByRows, other.passesByRows);
        tokensBySequences = summed(tokensBySequences, other.tokensBySequences);
    }

    /** Rows the passes carried, summed. */
    public long rows() {
        long rows = 0;
        for (int r = 1; r < passesByRows.length; r++) {
            rows += r * passesByRows[r];
        }
        return rows;
    }

    /** Tokens the passes yielded, summed. */
    public long tokens() {
        return Arrays.stream(tokensBySequences).sum();
    }

    public boolean isEmpty() {
        return Arrays.stream(passesByRows).allMatch(count -> count == 0);
    }

    /**
     * The passes' cost over that of plain decoding making their tokens at the same batch: each pass of r rows costs
     * {@code curve.cost(r)}, and plain decoding's s sequences make s tokens a pass of s rows, so a pass of s sequences
     * that yielded t tokens stands for t / s plain passes. NaN without passes.
     */
    public double costOverPlain(PassCostCurve curve) {
        double decoded = 0;
        for (int rows = 1; rows < passesByRows.length; rows++) {
            decoded += passesByRows[rows] * curve.cost(rows);
        }
        double plain = 0;
        for (int sequences = 1; sequences < tokensBySequences.length; sequences++) {
            plain += (double) tokensBySequences[sequences] / sequences * curve.cost(sequences);
        }
        return isEmpty() ? Double.NaN : decoded / plain;
    }

    private static long[] grown(long[] counts, int index) {
        return index < counts.length ? counts : Arrays.copyOf(counts, index + 1);
    }

    private static long[] summed(long[] a, long[] b) {
        long[] sum = Arrays.copyOf(a, Math.max(a.length, b.length));
        for (int i = 0; i < b.length; i++) {
            sum[i] += b[i];
        }
        return sum;
    }
}
