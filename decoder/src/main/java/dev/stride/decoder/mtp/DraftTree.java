package dev.stride.decoder.mtp;

import java.util.Arrays;

/**
 * Candidate continuations of one sequence as a tree. Node 0, the root, is the sequence's pending token (the model's
 * own choice, not yet run through the model); a node at depth d is a guess for the token d positions later.
 * Nodes are stored parents-first, so a node's index is larger than its parent's. Reused across steps.
 */
public final class DraftTree {

    private int size;
    private int[] tokens = new int[8];
    private int[] parents = new int[8];
    private int[] depths = new int[8];
    private int[] firstChild = new int[8];
    private int[] nextSibling = new int[8];

    /** Starts a new tree holding only the root. */
    public void reset(int rootToken) {
        size = 0;
        append(rootToken, -1, 0);
    }

    /** Adds a child of {@code parent}; returns its index. Children keep their insertion order. */
    public int addChild(int parent, int token) {
        if (parent < 0 || parent >= size) {
            throw new IllegalArgumentException("no node " + parent + " in a tree of " + size);
        }
        int node = append(token, parent, depths[parent] + 1);
        if (firstChild[parent] < 0) {
            firstChild[parent] = node;
        } else {
            int c = firstChild[parent];
            while (nextSibling[c] >= 0) {
                c = nextSibling[c];
            }
            nextSibling[c] = node;
        }
        return node;
    }

    private int append(int token, int parent, int depth) {
        if (size == tokens.length) {
            int n = 2 * size;
            tokens = Arrays.copyOf(tokens, n);
            parents = Arrays.copyOf(parents, n);
            depths = Arrays.copyOf(depths, n);
            firstChild = Arrays.copyOf(firstChild, n);
            nextSibling = Arrays.copyOf(nextSibling, n);
        }
        int node = size++;
        tokens[node] = token;
        parents[node] = parent;
        depths[node] = depth;
        firstChild[node] = -1;
        nextSibling[node] = -1;
        return node;
    }

    /** Keeps the first {@code nodes} nodes (at least the root): parents come first, so they are a tree. */
    public void keepFirst(int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a tree keeps its root, asked to keep " + nodes + " nodes");
        }
        if (nodes >= size) {
            return;
        }
        size = nodes;
        for (int i = 0; i < size; i++) {
            // Children and siblings come after their node, so a link to a dropped node ends the list there.
            if (firstChild[i] >= size) {
                firstChild[i] = -1;
            }
            if (nextSibling[i] >= size) {
                nextSibling[i] = -1;
            }
        }
    }

    /** The child of {@code node} carrying {@code token}, or -1. */
    public int childWithToken(int node, int token) {
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
            if (tokens[c] == token) {
                return c;
            }
        }
        return -1;
    }

    public boolean hasChildWithToken(int node, int token) {
        return childWithToken(node, token) >= 0;
    }

    public int size() {
        return size;
    }

    public int token(int node) {
        return tokens[node];
    }

    public int parent(int node) {
        return parents[node];
    }

    public int depth(int node) {
        return depths[node];
    }

    public int maxDepth() {
        int max = 0;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, depths[i]);
        }
        return max;
    }

    /** Writes the path root..node (node indices) into {@code out}; returns its length (depth + 1). */
    public int pathTo(int node, int[] out) {
        int length = depths[node] + 1;
        for (int i = length - 1; i >= 0; i--) {
            out[i] = node;
            node = parents[node];
        }
        return length;
    }
}
