package dev.stride.decoder.mtp;

/**
 * What verification of one tree decided: the accepted node path (root first) and the tokens the model produced
 * along it — one per accepted non-root node plus the bonus token after the last accepted node.
 * Mutable and reused; valid until the next verification.
 */
public final class Verdict {

    int[] path = new int[8];
    int pathLength;
    int[] produced = new int[8];
    int producedCount;

    /** Accepted nodes, root first; the root is always accepted. */
    public int pathLength() {
        return pathLength;
    }

    public int pathNode(int i) {
        return path[i];
    }

    /** The last accepted node: its hidden state feeds the heads of the next step. */
    public int lastNode() {
        return path[pathLength - 1];
    }

    public int producedCount() {
        return producedCount;
    }

    public int producedToken(int i) {
        return produced[i];
    }

    void ensure(int capacity) {
        if (path.length < capacity) {
            path = new int[capacity];
            produced = new int[capacity];
        }
    }
}
