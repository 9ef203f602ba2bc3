package dev.stride.decoder.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A static candidate tree chosen from held-out data, as in the Medusa paper but from the paths themselves: a path
 * [r1, r2, ...] (head 1's rank-r1 candidate, then head 2's rank-r2 candidate, ...) is worth the number of held-out
 * positions at which all its candidates are right together, and the tree keeps the paths right most often. Its
 * expected tokens per pass replays the tree pass by pass along the held-out continuations. Loadable with
 * {@code --tree file:PATH}.
 *
 * @param paths parents before children
 * @param expectedTokensPerPass tokens per pass decoding the held-out continuations with this tree
 */
public record TreeDesign(List<int[]> paths, double expectedTokensPerPass) {

    /** A path's count never exceeds its parent's; among equals the smaller path (its parent first) is taken. */
    private record Candidate(int[] path, long accepted) {
        static final Comparator<Candidate> BEST_FIRST = Comparator.comparingLong((Candidate c) -> -c.accepted)
                .thenComparing(Candidate::path, Arrays::compare);
    }

    /** The best tree with {@code nodes} nodes, root included, for {@code heads} heads. */
    public static TreeDesign best(AcceptedRanks heldOut, int heads, int nodes) {
        PriorityQueue<Candidate> frontier = new PriorityQueue<>(Candidate.BEST_FIRST);
        addChildren(frontier, heldOut, heads, new int[0]);
        List<int[]> paths = new ArrayList<>();
        while (paths.size() < nodes - 1 && !frontier.isEmpty()) {
            Candidate next = frontier.poll();
            paths.add(next.path);
            addChildren(frontier, heldOut, heads, next.path);
        }
        return new TreeDesign(paths, heldOut.tokensPerPass(paths));
    }

    private static void addChildren(PriorityQueue<Candidate> frontier, AcceptedRanks heldOut, int heads,
                                    int[] parent) {
        int head = parent.length;
        if (head >= heads) {
            return;
        }
        for (int rank = 0; rank < HeadStats.RANKS; rank++) {
            int[] path = Arrays.copyOf(parent, head + 1);
            path[head] = rank;
            frontier.add(new Candidate(path, heldOut.acceptedAt(path)));
        }
    }

    /** JSON list of paths, the format {@code --tree file:PATH} reads. */
    public String toJson() {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < paths.size(); i++) {
            json.append(i == 0 ? "" : ", ").append(Arrays.toString(paths.get(i)).replace(" ", ""));
        }
        return json.append("]").toString();
    }
}
