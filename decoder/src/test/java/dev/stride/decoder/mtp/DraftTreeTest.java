package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DraftTreeTest {

    /** root 9 -> {a 1 -> {c 3}, b 2 -> {d 4}}, nodes in the order a, b, c, d. */
    private static DraftTree tree() {
        DraftTree tree = new DraftTree();
        tree.reset(9);
        int a = tree.addChild(0, 1);
        int b = tree.addChild(0, 2);
        tree.addChild(a, 3);
        tree.addChild(b, 4);
        return tree;
    }

    @Test
    void keepingTheFirstNodesDropsTheLinksToTheOthers() {
        DraftTree tree = tree();
        tree.keepFirst(3);
        assertEquals(3, tree.size());
        assertEquals(1, tree.childWithToken(0, 1));
        assertEquals(2, tree.childWithToken(0, 2));
        assertEquals(-1, tree.childWithToken(2, 4), "d was dropped");
        assertEquals(-1, tree.childWithToken(1, 3), "c was dropped");
        assertEquals(1, tree.maxDepth());
        tree.keepFirst(1);
        assertEquals(-1, tree.childWithToken(0, 1), "a was dropped");
        assertEquals(-1, tree.childWithToken(0, 2), "b was dropped");
        assertEquals(0, tree.maxDepth());
    }

    @Test
    void aCutTreeGrowsAgainFromWhereItWasCut() {
        DraftTree tree = tree();
        tree.keepFirst(2);
        int b = tree.addChild(0, 5);
        assertEquals(2, b);
        assertEquals(2, tree.childWithToken(0, 5));
        assertEquals(-1, tree.childWithToken(0, 2));
    }

    @Test
    void keepingMoreNodesThanTheTreeHasChangesNothingAndTheRootAlwaysStays() {
        DraftTree tree = tree();
        tree.keepFirst(10);
        assertEquals(5, tree.size());
        assertEquals(4, tree.childWithToken(2, 4));
        assertThrows(IllegalArgumentException.class, () -> tree.keepFirst(0));
    }
}
