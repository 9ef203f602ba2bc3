package dev.stride.decoder.train;

import java.util.Arrays;
import java.util.List;

/**
 * Token sequences with the frozen base model's final-norm hidden state at every position, split into training and
 * held-out positions. Head k learns, from the hidden state at position t, the token at t + k + 2.
 */
public final class Corpus {

    /** With fewer distinct groups than this, the split is by sequence: holding out whole prompts would leave none. */
    private static final int MIN_GROUPS_FOR_GROUP_SPLIT = 10;

    private final List<TokenSequence> sequences;
    private final int[] tokens;      // all sequences, concatenated
    private final int[] sequenceEnd; // exclusive end in tokens of the sequence each position belongs to
    private final int[] greedyStart; // per position: its sequence's greedyFrom, in tokens
    private final float[] hidden;    // (tokens, hiddenSize)
    private final int hiddenSize;
    private final boolean[] heldOut; // per sequence
    private final int[] trainPositions;
    private final int[] heldOutPositions;

    /**
     * @param hidden (total tokens, hiddenSize), sequence after sequence
     * @param heldOutFraction share of groups (or sequences) kept out of training
     */
    public Corpus(List<TokenSequence> sequences, float[] hidden, int hiddenSize, double heldOutFraction, long seed) {
        this.sequences = List.copyOf(sequences);
        this.hiddenSize = hiddenSize;
        this.hidden = hidden;
        int total = sequences.stream().mapToInt(s -> s.tokens().length).sum();
        if (hidden.length != (long) total * hiddenSize) {
            throw new IllegalArgumentException("hidden states for " + hidden.length / hiddenSize + " positions, "
                    + total + " tokens");
        }
        this.tokens = new int[total];
        this.sequenceEnd = new int[total];
        this.greedyStart = new int[total];
        this.heldOut = split(sequences, heldOutFraction, seed);
        int[] train = new int[total];
        int[] held = new int[total];
        int trainCount = 0;
        int heldCount = 0;
        int start = 0;
        for (int s = 0; s < sequences.size(); s++) {
            TokenSequence seq = sequences.get(s);
            int end = start + seq.tokens().length;
            System.arraycopy(seq.tokens(), 0, tokens, start, seq.tokens().length);
            Arrays.fill(sequenceEnd, start, end, end);
            Arrays.fill(greedyStart, start, end, start + seq.greedyFrom());
            for (int t = start + seq.draftStart(); t + 2 < end; t++) {
                if (heldOut[s]) {
                    held[heldCount++] = t;
                } else {
                    train[trainCount++] = t;
                }
            }
            start = end;
        }
        this.trainPositions = Arrays.copyOf(train, trainCount);
        this.heldOutPositions = Arrays.copyOf(held, heldCount);
    }

    private static boolean[] split(List<TokenSequence> sequences, double fraction, long seed) {
        long groups = sequences.stream().mapToInt(TokenSequence::group).distinct().count();
        boolean byGroup = groups >= MIN_GROUPS_FOR_GROUP_SPLIT;
        int keys = byGroup ? sequences.stream().mapToInt(TokenSequence::group).max().orElse(0) + 1 : sequences.size();
        // A seeded shuffle of the keys; the first fraction of them is held out.
        int[] order = new int[keys];
        for (int i = 0; i < keys; i++) {
            order[i] = i;
        }
        SplitMix64 random = new SplitMix64(seed ^ 0x5DEECE66DL);
        for (int i = keys - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        int heldKeys = (int) Math.min(keys - 1, Math.max(fraction > 0 ? 1 : 0, Math.round(keys * fraction)));
        boolean[] heldKey = new boolean[keys];
        for (int i = 0; i < heldKeys; i++) {
            heldKey[order[i]] = true;
        }
        boolean[] held = new boolean[sequences.size()];
        for (int s = 0; s < held.length; s++) {
            held[s] = heldKey[byGroup ? sequences.get(s).group() : s];
        }
        return held;
    }

    public List<TokenSequence> sequences() {
        return sequences;
    }

    public boolean isHeldOut(int sequence) {
        return heldOut[sequence];
    }

    /** How often each token id of a vocabulary of {@code vocabSize} is a continuation token of a training sequence. */
    public long[] continuationCounts(int vocabSize) {
        long[] counts = new long[vocabSize];
        for (int s = 0; s < sequences.size(); s++) {
            if (!heldOut[s]) {
                sequences.get(s).countContinuation(counts);
            }
        }
        return counts;
    }

    public int totalTokens() {
        return tokens.length;
    }

    /** Positions (indices into the concatenated tokens) the heads train on. */
    public int[] trainPositions() {
        return trainPositions;
    }

    public int[] heldOutPositions() {
        return heldOutPositions;
    }

    /** Exclusive end (in the concatenated tokens) of the sequence position {@code t} belongs to. */
    int sequenceEnd(int t) {
        return sequenceEnd[t];
    }

    /** Whether greedy decoding drafts from position {@code t}: every token after it is the model's greedy choice. */
    boolean onGreedyPath(int t) {
        return t >= greedyStart[t];
    }

    /** Writes position {@code t}'s hidden state, next token and heads' targets into row {@code row} of the batch. */
    void fill(HeadBatch batch, int row, int t) {
        System.arraycopy(hidden, t * hiddenSize, batch.hidden, row * hiddenSize, hiddenSize);
        batch.nextTokens[row] = tokens[t + 1]; // every position has a token after it (t + 2 < its sequence's end)
        for (int k = 0; k < batch.targets.length; k++) {
            int ahead = t + k + 2;
            batch.targets[k][row] = ahead < sequenceEnd[t] ? tokens[ahead] : -1;
        }
    }
}
