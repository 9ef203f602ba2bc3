package dev.stride.decoder.mtp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.ModelException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The tokens prediction heads may propose: the most frequent of the model's continuation tokens (the targets
 * {@code train-heads} trained on, or, for heads trained elsewhere, what {@code stride draft-vocabulary} decoded from
 * the user's prompts), as many as cover {@link #COVERAGE} of them (the idea of FR-Spec's frequency-ranked drafting).
 * Heads then project onto these rows only, and a head's vocabulary projection is most of its weights, so a head level
 * costs less in proportion. A token outside the list is never proposed, which costs acceptance where it was next,
 * never exactness: every token is still the model's choice. Kept beside the heads as {@link #FILE}; heads without it
 * propose from the whole vocabulary.
 *
 * @param ids token ids, most frequent first
 * @param coverage share of the counted targets that {@code ids} cover
 * @param countedTokens targets counted
 */
public record DraftVocabulary(int[] ids, double coverage, long countedTokens) {

    public static final String FILE = "draft_vocabulary.json";
    /**
     * Share of the training targets a draft vocabulary covers. Tokens past it are rare ones, which heads seldom guess
     * right anyway: on the demo (2,048 tokens; targets include sampled continuations) 95 % takes 512 tokens and 99 %
     * 1,216, and with 512 greedy tokens per pass stayed at 1.72 / 2.19 for chain:1 / chain:2 against 1.73 / 2.19.
     */
    public static final double COVERAGE = 0.95;
    /** Lists grow in whole groups of this many rows (the projection's kernels sweep four panels at a time). */
    public static final int ROW_MULTIPLE = 64;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The draft vocabulary of targets counted per token id ({@code counts[id]}), or null where it would hold the whole
     * vocabulary (nothing would be saved) or nothing was counted. Ties rank the lower id first.
     */
    public static DraftVocabulary of(long[] counts) {
        long total = Arrays.stream(counts).sum();
        if (total == 0) {
            return null;
        }
        int[] ranked = IntStream.range(0, counts.length).boxed()
                .sorted(Comparator.comparingLong((Integer id) -> -counts[id]).thenComparingInt(id -> id))
                .mapToInt(Integer::intValue).toArray();
        long covered = 0;
        int size = 0;
        while (covered < COVERAGE * total) {
            covered += counts[ranked[size++]];
        }
        size = Math.min(counts.length, (size + ROW_MULTIPLE - 1) / ROW_MULTIPLE * ROW_MULTIPLE);
        if (size == counts.length) {
            return null;
        }
        long kept = 0;
        for (int i = 0; i < size; i++) {
            kept += counts[ranked[i]];
        }
        return new DraftVocabulary(Arrays.copyOf(ranked, size), (double) kept / total, total);
    }

    public int size() {
        return ids.length;
    }

    /** Writes dir/{@link #FILE}. */
    public void write(Path dir) {
        ObjectNode root = JSON.createObjectNode();
        root.put("tokens", ids.length);
        root.put("coverage", coverage);
        root.put("counted_tokens", countedTokens);
        root.put("note", "token ids the heads propose, most frequent first among the model's continuation tokens"
                + " counted; delete this file to draft from the whole vocabulary");
        root.putArray("ids").addAll(IntStream.of(ids).mapToObj(JSON.getNodeFactory()::numberNode).toList());
        try {
            Files.writeString(dir.resolve(FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** dir/{@link #FILE} checked against the model's vocabulary, or null if the heads have none. */
    public static DraftVocabulary read(Path dir, int vocabSize) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ModelException(file + ": not readable JSON (" + e.getMessage() + ")");
        }
        JsonNode list = root.path("ids");
        if (!list.isArray() || list.isEmpty()) {
            throw new ModelException(file + ": 'ids' must be a non-empty array of token ids");
        }
        int[] ids = new int[list.size()];
        BitSet seen = new BitSet(vocabSize);
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = list.get(i);
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= vocabSize || !id.isIntegralNumber()) {
                throw new ModelException(file + ": ids[" + i + "] = " + id + " is not a token id of the model's"
                        + " vocabulary [0, " + vocabSize + ")");
            }
            if (seen.get(id.asInt())) {
                throw new ModelException(file + ": token id " + id.asInt() + " is listed twice");
            }
            seen.set(id.asInt());
            ids[i] = id.asInt();
        }
        return new DraftVocabulary(ids, root.path("coverage").asDouble(Double.NaN),
                root.path("counted_tokens").asLong());
    }
}
