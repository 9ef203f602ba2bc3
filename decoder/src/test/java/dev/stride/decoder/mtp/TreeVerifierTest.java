package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.engine.CoupledSampler;
import dev.stride.decoder.engine.SamplingParams;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Verification against hand-made logits whose argmax is known. */
class TreeVerifierTest {

    private static final int VOCAB = 10;

    /** Logits per node with a single clear maximum at the given token. */
    private static float[] logitsChoosing(int... choicePerNode) {
        float[] logits = new float[choicePerNode.length * VOCAB];
        for (int node = 0; node < choicePerNode.length; node++) {
            Arrays.fill(logits, node * VOCAB, (node + 1) * VOCAB, -1f);
            logits[node * VOCAB + choicePerNode[node]] = 5f;
        }
        return logits;
    }

    private static Verdict verify(DraftTree tree, float[] logits) {
        Verdict verdict = new Verdict();
        TreeVerifier.verify(tree, 100, (node, position) ->
                new CoupledSampler(VOCAB).choose(logits, node * VOCAB, SamplingParams.GREEDY, position), verdict);
        return verdict;
    }

    private static int[] produced(Verdict v) {
        int[] out = new int[v.producedCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.producedToken(i);
        }
        return out;
    }

    private static int[] path(Verdict v) {
        int[] out = new int[v.pathLength()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.pathNode(i);
        }
        return out;
    }

    /** root(7) -> 1 -> 2 -> 3: a chain of three drafted tokens. */
    private static DraftTree chain() {
        DraftTree tree = new DraftTree();
        tree.reset(7);
        int a = tree.addChild(0, 1);
        int b = tree.addChild(a, 2);
        tree.addChild(b, 3);
        return tree;
    }

    @Test
    void perfectMatchAcceptsEverythingPlusBonus() {
        Verdict v = verify(chain(), logitsChoosing(1, 2, 3, 4));
        assertArrayEquals(new int[] {0, 1, 2, 3}, path(v));
        assertArrayEquals(new int[] {1, 2, 3, 4}, produced(v));
        assertEquals(3, v.lastNode());
    }

    @Test
    void mismatchAtEveryDepth() {
        // The model disagrees at depth d: d drafted tokens accepted, then its own token as bonus.
        int[][] choices = {{9, 2, 3, 4}, {1, 9, 3, 4}, {1, 2, 9, 4}};
        int[][] expectedProduced = {{9}, {1, 9}, {1, 2, 9}};
        for (int d = 0; d < choices.length; d++) {
            Verdict v = verify(chain(), logitsChoosing(choices[d]));
            assertArrayEquals(expectedProduced[d], produced(v), "mismatch at depth " + d);
            assertEquals(d + 1, v.pathLength());
        }
    }

    @Test
    void branchingTreeFollowsTheMatchingSibling() {
        DraftTree tree = new DraftTree();
        tree.reset(7);
        int a = tree.addChild(0, 5);   // node 1
        int b = tree.addChild(0, 6);   // node 2
        tree.addChild(a, 8);           // node 3
        int d = tree.addChild(b, 4);   // node 4
        // root chooses 6 (second sibling), node 2 chooses 4, node 4 chooses 0 (no child): bonus 0.
        Verdict v = verify(tree, logitsChoosing(6, 0, 4, 0, 0));
        assertArrayEquals(new int[] {0, b, d}, path(v));
        assertArrayEquals(new int[] {6, 4, 0}, produced(v));
    }

    @Test
    void rootOnlyTreeIsPlainDecoding() {
        DraftTree tree = new DraftTree();
        tree.reset(3);
        Verdict v = verify(tree, logitsChoosing(8));
        assertArrayEquals(new int[] {8}, produced(v));
        assertArrayEquals(new int[] {0}, path(v));
    }

    @Test
    void positionsPassedToTheChooserFollowDepth() {
        DraftTree tree = chain();
        int[] seen = new int[4];
        Verdict verdict = new Verdict();
        float[] logits = logitsChoosing(1, 2, 3, 4);
        TreeVerifier.verify(tree, 50, (node, position) -> {
            seen[node] = position;
            return Logits.argmax(logits, node * VOCAB, VOCAB);
        }, verdict);
        assertArrayEquals(new int[] {51, 52, 53, 54}, seen);
    }
}
