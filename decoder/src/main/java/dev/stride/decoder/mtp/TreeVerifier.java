package dev.stride.decoder.mtp;

/**
 * Accepts the longest root-to-node path whose every drafted token equals the token the model itself chooses at
 * that point, then adds the model's own next token (the bonus). Because each produced token is exactly the choice
 * plain decoding would make at that position, the output is identical to plain decoding.
 */
public final class TreeVerifier {

    /** The model's choice for the token after a tree node, from that node's logits. */
    @FunctionalInterface
    public interface Chooser {
        int choose(int node, int position);
    }

    private TreeVerifier() {
    }

    /**
     * @param rootPosition sequence position of the root token
     */
    public static void verify(DraftTree tree, int rootPosition, Chooser chooser, Verdict out) {
        out.ensure(tree.maxDepth() + 2);
        out.pathLength = 0;
        out.producedCount = 0;
        int node = 0;
        out.path[out.pathLength++] = node;
        while (true) {
            int token = chooser.choose(node, rootPosition + tree.depth(node) + 1);
            out.produced[out.producedCount++] = token;
            int child = tree.childWithToken(node, token);
            if (child < 0) {
                return;
            }
            out.path[out.pathLength++] = child;
            node = child;
        }
    }
}
