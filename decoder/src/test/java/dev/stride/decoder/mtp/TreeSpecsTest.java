package dev.stride.decoder.mtp;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code --tree} form, and every way to get one wrong. */
class TreeSpecsTest {

    @TempDir
    Path tmp;

    private static final Supplier<SpeculationCosts> NOT_MEASURED = () -> {
        throw new AssertionError("speculation costs must only be measured for auto");
    };

    private static TreeShape parse(String spec, int heads) {
        return TreeSpecs.parse(spec, heads, NOT_MEASURED);
    }

    private static IllegalArgumentException invalid(String spec, int heads, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse(spec, heads),
                "spec " + spec);
        for (String mention : mentions) {
            assertTrue(e.getMessage().contains(mention), spec + ": message should mention " + mention + ": "
                    + e.getMessage());
        }
        return e;
    }

    private Path file(String name, String json) throws IOException {
        return Files.writeString(tmp.resolve(name), json);
    }

    @Test
    void autoMeasuresThePassCostOnceAndIsCostAware() {
        AtomicInteger measured = new AtomicInteger();
        Supplier<SpeculationCosts> curve = () -> {
            measured.incrementAndGet();
            return SpeculationCosts.passOnly(new PassCostCurve(new int[] {1, 16}, new double[] {1, 1.2}));
        };
        for (String spec : new String[] {"auto", "", "  ", null}) {
            TreeShape shape = TreeSpecs.parse(spec, 3, curve);
            assertInstanceOf(CostAwareTree.class, shape, "spec " + spec);
            assertEquals("auto", shape.describe());
            assertEquals(TreeSpecs.AUTO_MAX_NODES, shape.maxNodes());
            assertEquals(3, shape.maxDepth());
        }
        assertEquals(4, measured.get());
    }

    @Test
    void staticTreeKeepsThePathsTheHeadsCanReach() {
        TreeShape four = parse("static", 4);
        assertInstanceOf(StaticTree.class, four);
        assertEquals(14, four.maxNodes(), "13 built-in paths plus the root");
        assertEquals(4, four.maxDepth());
        assertEquals(3, four.width());
        TreeShape two = parse("static", 2);
        assertEquals(7, two.maxNodes(), "paths of length <= 2: [0] [1] [2] [0,0] [0,1] [1,0]");
        assertEquals(2, two.maxDepth());
        TreeShape one = parse("static", 1);
        assertEquals(4, one.maxNodes());
        assertEquals(1, one.maxDepth());
    }

    @Test
    void chainAndNodes() {
        TreeShape chain = parse("chain:3", 4);
        assertInstanceOf(StaticTree.class, chain);
        assertEquals(4, chain.maxNodes());
        assertEquals(3, chain.maxDepth());
        assertEquals(1, chain.width());
        assertEquals("chain:3", chain.describe());
        assertEquals(4, parse("chain:4", 4).maxDepth(), "a chain as long as the heads");

        TreeShape nodes = parse("nodes:10", 3);
        assertInstanceOf(DynamicTree.class, nodes);
        assertEquals(10, nodes.maxNodes());
        assertEquals(3, nodes.maxDepth());
        assertEquals(8, nodes.width());
        assertEquals("nodes:10", nodes.describe());
        assertEquals(2, parse("nodes:3", 5).maxDepth(), "3 nodes reach at most depth 2");
        assertEquals(0, parse("nodes:1", 5).maxDepth(), "root only");
    }

    @Test
    void fileTree() throws IOException {
        Path f = file("tree.json", "[[0], [1], [0, 0], [0, 1], [0, 0, 0], [1, 0], [2]]");
        TreeShape shape = parse("file:" + f, 3);
        assertInstanceOf(StaticTree.class, shape);
        assertEquals(8, shape.maxNodes());
        assertEquals(3, shape.maxDepth());
        assertEquals(3, shape.width());
        assertEquals("file:tree.json", shape.describe());
        // Order in the file does not matter: children may come before their parents.
        Path shuffled = file("shuffled.json", "[[0, 0, 0], [1, 0], [0, 1], [0], [2], [0, 0], [1]]");
        assertEquals(8, parse("file:" + shuffled, 3).maxNodes());
    }

    @Test
    void malformedChainAndNodes() {
        invalid("chain:0", 4, "chain:0", "positive integer");
        invalid("chain:-2", 4, "chain:-2");
        invalid("chain:", 4, "chain:");
        invalid("chain", 4, "chain");
        invalid("chain:two", 4, "chain:two");
        invalid("chain:5", 4, "chain:5", "4 heads");
        invalid("nodes:x", 4, "nodes:x", "positive integer");
        invalid("nodes:0", 4, "nodes:0");
        invalid("nodes:", 4, "nodes:");
        invalid("nodes:1.5", 4, "nodes:1.5");
        invalid("tree", 4, "tree", "auto, static, chain:K, nodes:N or file:PATH");
        invalid("Chain:2", 4, "Chain:2");
        invalid("auto:3", 4, "auto:3");
    }

    /** The form alone is checked where no heads are loaded: a typo in a plain run's --tree was ignored. */
    @Test
    void formIsCheckedWithoutHeads() {
        for (String bad : new String[] {"chain:0", "chain:", "chain", "nodes:1.5", "tree", "Chain:2", "auto:3",
                "file:", "file: "}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TreeSpecs.checkForm(bad));
            assertTrue(e.getMessage().startsWith("--tree " + bad + ": expected"), e.getMessage());
        }
        for (String good : new String[] {"auto", "", "static", "chain:9", "nodes:64", "file:/no/such/tree.json"}) {
            assertDoesNotThrow(() -> TreeSpecs.checkForm(good), good);
        }
        assertDoesNotThrow(() -> TreeSpecs.checkForm(null));
    }

    @Test
    void malformedFiles() throws IOException {
        invalid("file:" + tmp.resolve("missing.json"), 3, "missing.json");
        invalid("file:" + file("orphan.json", "[[0], [1, 0]]"), 3, "[1, 0]", "parent", "[1]");
        invalid("file:" + file("orphan-deep.json", "[[0], [0, 0], [0, 1, 0]]"), 3, "[0, 1, 0]", "[0, 1]");
        invalid("file:" + file("duplicate.json", "[[0], [1], [0]]"), 3, "duplicate", "[0]");
        invalid("file:" + file("object.json", "{\"paths\": [[0]]}"), 3, "object.json", "list");
        invalid("file:" + file("number.json", "42"), 3, "number.json", "list");
        invalid("file:" + file("flat.json", "[0, 1, 2]"), 3, "flat.json", "list");
        invalid("file:" + file("float.json", "[[0], [0.5]]"), 3, "float.json", "integers");
        invalid("file:" + file("string.json", "[[\"0\"]]"), 3, "string.json", "integers");
        invalid("file:" + file("deep.json", "[[0], [0, 0], [0, 0, 0]]"), 2, "deep.json", "2 heads");
        invalid("file:" + file("empty.json", "[]"), 3, "no paths");
        invalid("file:" + file("empty-path.json", "[[]]"), 3, "empty path");
        invalid("file:" + file("negative.json", "[[0], [-1]]"), 3, "negative");
        // Its width, rank + 1, overflowed: drafting then failed with an ArrayIndexOutOfBoundsException.
        invalid("file:" + file("huge-rank.json", "[[0], [2147483647]]"), 3, "huge-rank.json", "2147483647");
        invalid("file:" + file("broken.json", "[[0], [1]"), 3, "broken.json");
        invalid("file:", 3);
    }
}
