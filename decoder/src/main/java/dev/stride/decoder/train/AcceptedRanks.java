package dev.stride.decoder.train;

import java.util.ArrayList;
import java.util.List;

/**
 * What the verifier would accept at each held-out position, kept in order along each sequence: the candidate ranks
 * of heads 0, 1, ... that are right together, up to the first head whose target is not among its top
 * {@link HeadStats#RANKS} or lies past the sequence. A tree path (head 1's rank, then head 2's, ...) is accepted at a
 * position exactly when it is a prefix of these ranks: the verifier takes a node only with its parent, so a path's
 * chance is its heads being right together, not the product of each head's own rate (the heads' errors are
 * correlated: on the demo the product put a 16-node tree at 3.35 tokens per position where 3.92 was counted).
 */
public final class AcceptedRanks {

    private final List<List<int[]>> sequences = new ArrayList<>();
    private int positions;

    /** Starts a new run of positions: those added next follow one another in one sequence. */
    void startSequence() {
        sequences.add(new ArrayList<>());
    }

    /** The accepted ranks at the next position of the current run (head 0's first; empty when none is right). */
    void add(int[] ranks) {
        sequences.get(sequences.size() - 1).add(ranks);
        positions++;
    }

    public int positions() {
        return positions;
    }

    /** Positions at which every candidate of {@code path} is right. */
    public long acceptedAt(int[] path) {
        long count = 0;
        for (List<int[]> sequence : sequences) {
            for (int[] ranks : sequence) {
                count += prefix(path, ranks) ? 1 : 0;
            }
        }
        return count;
    }

    /**
     * Tokens per pass of a tree decoding the sequences pass by pass: a pass that accepts d drafts yields d + 1
     * tokens and drafts next from d + 1 positions on, so the positions it skips are never drafted from. Averaging
     * over every position instead counts the easy stretches that passes cross in a few long steps once per token
     * (on the demo 3.92 tokens per position against 3.45 per pass for the same tree).
     *
     * @param paths the tree's paths, parents before children
     */
    public double tokensPerPass(List<int[]> paths) {
        long tokens = 0;
        long passes = 0;
        for (List<int[]> sequence : sequences) {
            int at = 0;
            while (at < sequence.size()) {
                int accepted = 0;
                for (int[] path : paths) {
                    if (path.length > accepted && prefix(path, sequence.get(at))) {
                        accepted = path.length;
                    }
                }
                tokens += 1 + accepted;
                passes++;
                at += 1 + accepted;
            }
        }
        return passes == 0 ? 1 : (double) tokens / passes;
    }

    private static boolean prefix(int[] path, int[] ranks) {
        if (path.length > ranks.length) {
            return false;
        }
        for (int i = 0; i < path.length; i++) {
            if (path[i] != ranks[i]) {
                return false;
            }
        }
        return true;
    }
}
