package dev.stride.decoder.mtp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fixed tree given as index paths, Medusa "choices" style: path [i, j] is the root's child carrying head 0's
 * i-th candidate, then that node's child carrying head 1's j-th candidate.
 */
public final class StaticTree implements TreeShape {

    private final int[][] paths;   // sorted parents-first
    private final int[] parentPath; // index into paths of each path's parent, -1 for the root
    private final int maxDepth;
    private final int width;
    private final String name;

    public StaticTree(List<int[]> choices, String name) {
        if (choices.isEmpty()) {
            throw new IllegalArgumentException("tree " + name + ": no paths");
        }
        List<int[]> sorted = new ArrayList<>(choices);
        sorted.sort(Comparator.<int[]>comparingInt(p -> p.length).thenComparing(Arrays::compare));
        this.paths = sorted.toArray(new int[0][]);
        this.parentPath = new int[paths.length];
        Map<List<Integer>, Integer> index = new HashMap<>();
        int depth = 0;
        int widest = 0;
        for (int i = 0; i < paths.length; i++) {
            int[] path = paths[i];
            if (path.length == 0) {
                throw new IllegalArgumentException("tree " + name + ": empty path");
            }
            for (int rank : path) {
                if (rank < 0) {
                    throw new IllegalArgumentException("tree " + name + ": negative rank in " + Arrays.toString(path));
                }
                // The width, rank + 1, would overflow to a negative one that passes the drafter's check against the
                // vocabulary, and drafting would then index past the one candidate it keeps.
                if (rank == Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("tree " + name + ": rank " + rank + " in "
                            + Arrays.toString(path) + " is too large (a head has fewer candidates)");
                }
                widest = Math.max(widest, rank + 1);
            }
            List<Integer> key = boxed(path, path.length);
            if (index.putIfAbsent(key, i) != null) {
                throw new IllegalArgumentException("tree " + name + ": duplicate path " + Arrays.toString(path));
            }
            if (path.length == 1) {
                parentPath[i] = -1;
            } else {
                Integer parent = index.get(boxed(path, path.length - 1));
                if (parent == null) {
                    throw new IllegalArgumentException("tree " + name + ": path " + Arrays.toString(path)
                            + " has no parent path " + Arrays.toString(Arrays.copyOf(path, path.length - 1)));
                }
                parentPath[i] = parent;
            }
            depth = Math.max(depth, path.length);
        }
        this.maxDepth = depth;
        this.width = widest;
        this.name = name;
    }

    /** Top-1 of each of the first k heads. */
    public static StaticTree chain(int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("chain length must be > 0, got " + k);
        }
        List<int[]> paths = new ArrayList<>();
        for (int d = 1; d <= k; d++) {
            paths.add(new int[d]);
        }
        return new StaticTree(paths, "chain:" + k);
    }

    private static List<Integer> boxed(int[] path, int length) {
        List<Integer> list = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            list.add(path[i]);
        }
        return list;
    }

    @Override
    public int maxNodes() {
        return paths.length + 1;
    }

    @Override
    public int maxDepth() {
        return maxDepth;
    }

    @Override
    public int width() {
        return width;
    }

    /** Fixed paths of ranks: no probabilities needed. */
    @Override
    public boolean weighsCandidates() {
        return false;
    }

    @Override
    public void grow(DraftTree tree, HeadCandidates candidates, DraftState state, int depthLimit) {
        int[] node = new int[paths.length];
        for (int i = 0; i < paths.length; i++) {
            int[] path = paths[i];
            node[i] = -1;
            if (path.length > depthLimit) {
                continue;
            }
            int parent = parentPath[i] < 0 ? 0 : node[parentPath[i]];
            if (parent >= 0) {
                node[i] = tree.addChild(parent, candidates.ids[path.length - 1][path[path.length - 1]]);
            }
        }
    }

    @Override
    public String describe() {
        return name;
    }
}
