package dev.stride.decoder.engine;

import dev.stride.decoder.mtp.DraftState;
import dev.stride.decoder.mtp.DraftTree;
import dev.stride.decoder.mtp.Drafter;

/**
 * A drafter that knows a sequence's true continuation: from a step it recognises, it drafts the next tokens as a chain,
 * each beside a wrong sibling, up to {@code depth} levels. Multi-token decoding must accept such chains whole and
 * still give plain decoding's output.
 */
abstract class TruthDrafter implements Drafter {

    final int depth;
    private final int vocabSize;

    TruthDrafter(int depth, int vocabSize) {
        this.depth = depth;
        this.vocabSize = vocabSize;
    }

    @Override
    public int maxTokensPerPass() {
        return depth + 1;
    }

    @Override
    public int maxTreeNodes() {
        return 2 * depth + 1;
    }

    @Override
    public DraftState newState() {
        return new DraftState(depth);
    }

    /**
     * Drafts future[step + 1 ..] into {@code tree}, at most {@code maxDepth} (and {@link #depth}) levels and not past
     * the end of {@code future}; nothing where {@code step} is null (a state the drafter does not recognise).
     */
    void draftTruth(DraftTree tree, int[] future, Integer step, int maxDepth) {
        int parent = 0;
        for (int d = 1; d <= Math.min(depth, maxDepth) && step != null && step + d < future.length; d++) {
            int truth = future[step + d];
            tree.addChild(parent, (truth + 1) % vocabSize);
            parent = tree.addChild(parent, truth);
        }
    }
}
