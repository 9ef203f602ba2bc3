package dev.stride.decoder.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A static candidate tree chosen from held-out accuracy, as in the Medusa paper: a path [r1, r2, ...] (head 1's
 * rank-r1 candidate, then head 2's rank-r2 candidate, ...) is accepted with probability about the product of each
 * head's rate of having the right token at that rank, and the tree keeps the most probable paths. Loadable with
 * {@code --tree file:PATH}.
 *
 * @param paths parents before children
 * @param expectedTokensPerPass 1 (the base model's own token) plus the summed path probabilities
 */
public record TreeDesign(List<int[]> paths, double expectedTokensPerPass) {

    private record Candidate(int[] path, double probability) {
    }

    /** The best tree with {@code nodes} nodes, root included. */
    public static TreeDesign best(HeadStats heldOut, int nodes) {
        PriorityQueue<Candidate> frontier = new PriorityQueue<>((a, b) -> Double.compare(b.probability, a.probability));
        addChildren(frontier, heldOut, new int[0], 1.0);
        List<int[]> paths = new ArrayList<>();
        double expected = 1;
        while (paths.size() < nodes - 1 && !frontier.isEmpty()) {
            Candidate next = frontier.poll();
            paths.add(next.path);
            expected += next.probability;
            addChildren(frontier, heldOut, next.path, next.probability);
        }
        return new TreeDesign(paths, expected);
    }

    private static void addChildren(PriorityQueue<Candidate> frontier, HeadStats heldOut, int[] parent,
                                    double probability) {
        int head = parent.length;
        if (head >= heldOut.heads()) {
            return;
        }
        for (int rank = 0; rank < HeadStats.RANKS; rank++) {
            int[] path = Arrays.copyOf(parent, head + 1);
            path[head] = rank;
            frontier.add(new Candidate(path, probability * heldOut.rankRate(head, rank)));
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
