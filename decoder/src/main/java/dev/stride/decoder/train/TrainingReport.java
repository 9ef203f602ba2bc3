package dev.stride.decoder.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;

/** {@code training_report.json}: what was trained, on what, how long it took and how well it drafts. */
public final class TrainingReport {

    public static final String FILE = "training_report.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root = JSON.createObjectNode();

    /** A free-form section for plain settings and counts. */
    public ObjectNode section(String name) {
        return objectField(root, name);
    }

    /**
     * The object under {@code name}, added if missing. Not Jackson's {@code withObjectProperty}: it came in 2.16, and
     * the Spark 3.5 builds run on the Jackson 2.15 that Spark ships.
     */
    private static ObjectNode objectField(ObjectNode parent, String name) {
        return parent.get(name) instanceof ObjectNode existing ? existing : parent.putObject(name);
    }

    public void put(String key, String value) {
        root.put(key, value);
    }

    public void heldOut(Trainer.Evaluation evaluation, double[] headWeights) {
        ObjectNode node = section("held_out");
        HeadStats stats = evaluation.stats();
        ArrayNode heads = node.putArray("heads");
        for (int k = 0; k < stats.heads(); k++) {
            heads.addObject()
                    .put("head", k)
                    .put("predicts", "t+" + (k + 2))
                    .put("loss_weight", headWeights[k])
                    .put("positions", stats.rows(k))
                    .put("loss", stats.meanLoss(k))
                    .put("top1", stats.topAccuracy(k, 1))
                    .put("top5", stats.topAccuracy(k, 5));
        }
        node.put("expected_tokens_per_pass_chain", evaluation.independentChainTokensPerPass());
        node.put("chain_tokens_per_pass_joint", 1 + evaluation.meanChainDepth());
        node.put("note", "expected_tokens_per_pass_chain = 1 + sum_k prod_{j<=k} top1_j (heads assumed independent);"
                + " chain_tokens_per_pass_joint counts how many leading heads are right together at each position");
    }

    /** @param designedFrom which held-out continuations the tree was chosen and replayed on */
    public void tree(TreeDesign tree, String file, String designedFrom) {
        ObjectNode node = section("tree");
        node.put("file", file);
        node.put("nodes", tree.paths().size() + 1);
        node.put("expected_tokens_per_pass", tree.expectedTokensPerPass());
        node.put("designed_from", designedFrom);
        ArrayNode paths = node.putArray("paths");
        for (int[] path : tree.paths()) {
            ArrayNode p = paths.addArray();
            for (int rank : path) {
                p.add(rank);
            }
        }
    }

    public void engine(EngineMeasurement.Result result) {
        ObjectNode node = section("engine");
        node.put("prompts", result.prompts());
        node.put("max_new_tokens", result.maxNewTokens());
        node.put("max_batch", result.maxBatch());
        node.put("ignore_eos", result.ignoreEos());
        node.put("sampling", "greedy");
        objectField(node, "plain").put("decode_tokens", result.plainTokens()).put("decode_passes", result.plainPasses())
                .put("seconds", result.plainSeconds());
        ArrayNode trees = node.putArray("trees");
        for (EngineMeasurement.TreeResult t : result.trees()) {
            ObjectNode tree = trees.addObject();
            tree.put("tree", t.tree());
            tree.put("tokens_per_pass", t.tokensPerPass());
            tree.put("decode_tokens", t.decodeTokens());
            tree.put("decode_passes", t.decodePasses());
            tree.put("mean_tree_nodes", t.meanTreeNodes());
            tree.set("accept_histogram", JSON.valueToTree(t.acceptHistogram()));
            tree.put("identical_to_plain", t.identical());
            tree.put("mismatched_prompts", t.mismatches());
            tree.put("first_mismatch", t.firstMismatch());
            tree.put("seconds", t.seconds());
            tree.put("speedup_vs_plain", result.plainSeconds() / t.seconds());
        }
    }

    public void write(Path file) {
        try {
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
        } catch (IOException e) {
            throw new IllegalStateException(file + ": cannot write the training report: " + e, e);
        }
    }
}
