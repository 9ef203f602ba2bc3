package dev.stride.decoder.train;

/**
 * Per-head cross-entropy and rank counts over some rows: for one training batch or a whole held-out split. The rank
 * of a target is how many tokens the head scores above it (ties to the lower id), so rank 0 is a top-1 hit.
 */
public final class HeadStats {

    /** Ranks counted individually; larger ranks share one bucket. */
    public static final int RANKS = 8;

    private final double[] lossSum;
    private final long[] rows;
    private final long[][] rankCounts; // (heads, RANKS + 1)

    public HeadStats(int heads) {
        lossSum = new double[heads];
        rows = new long[heads];
        rankCounts = new long[heads][RANKS + 1];
    }

    public int heads() {
        return rows.length;
    }

    void add(int head, double loss, int rank) {
        lossSum[head] += loss;
        rows[head]++;
        rankCounts[head][Math.min(rank, RANKS)]++;
    }

    public void addAll(HeadStats other) {
        for (int k = 0; k < heads(); k++) {
            lossSum[k] += other.lossSum[k];
            rows[k] += other.rows[k];
            for (int r = 0; r <= RANKS; r++) {
                rankCounts[k][r] += other.rankCounts[k][r];
            }
        }
    }

    public long rows(int head) {
        return rows[head];
    }

    public double meanLoss(int head) {
        return rows[head] == 0 ? 0 : lossSum[head] / rows[head];
    }

    /** Fraction of rows whose target is among the head's top {@code k} tokens (k <= RANKS). */
    public double topAccuracy(int head, int k) {
        long hits = 0;
        for (int r = 0; r < k; r++) {
            hits += rankCounts[head][r];
        }
        return rows[head] == 0 ? 0 : (double) hits / rows[head];
    }

    /** The training objective: sum over heads of weight times mean loss. */
    public double objective(double[] headWeights) {
        double total = 0;
        for (int k = 0; k < heads(); k++) {
            total += headWeights[k] * meanLoss(k);
        }
        return total;
    }
}
