package dev.stride.decoder.train;

import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What a checkpoint knows of the base model's weights: a model replaced in place keeps its directory, and a resumed
 * run would continue its heads and reuse its continuations for another model. Hashing every weight file would read
 * gigabytes on each run; the model's output for a fixed input is one short pass, and the forward pass gives the same
 * bits whatever the thread count.
 */
public final class ModelProbe {

    private static final int TOKENS = 8;

    private ModelProbe() {
    }

    /** SHA-256 (hex) of the final hidden states and lm_head logits of tokens 0, 1, ... (at most 8). */
    public static String digest(ModelConfig config, ModelWeights weights, VectorOps ops) {
        int n = Math.min(TOKENS, Math.min(config.vocabSize(), config.maxPositions()));
        int[] tokens = new int[n];
        for (int t = 0; t < n; t++) {
            tokens[t] = t;
        }
        float[] hidden = HiddenStateRecorder.record(config, weights, ops, List.of(TokenSequence.greedy(tokens, 0, 0)),
                done -> { });
        float[] logits = new float[n * config.vocabSize()];
        ops.matmul(weights.lmHead(), hidden, n, logits);
        ByteBuffer bytes = ByteBuffer.allocate(Float.BYTES * (hidden.length + logits.length))
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(hidden).put(logits);
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
