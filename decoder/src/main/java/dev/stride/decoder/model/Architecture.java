package dev.stride.decoder.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The Hugging Face architectures Stride runs. They share one forward pass; these flags are what differs. */
public enum Architecture {
    LLAMA("LlamaForCausalLM", false, 2048, 0),
    MISTRAL("MistralForCausalLM", false, 4096 * 32, 8),
    QWEN2("Qwen2ForCausalLM", true, 32768, 32);

    private final String hfName;
    private final boolean qkvBias;
    private final int defaultMaxPositions;
    private final int defaultKvHeads;

    Architecture(String hfName, boolean qkvBias, int defaultMaxPositions, int defaultKvHeads) {
        this.hfName = hfName;
        this.qkvBias = qkvBias;
        this.defaultMaxPositions = defaultMaxPositions;
        this.defaultKvHeads = defaultKvHeads;
    }

    public String hfName() {
        return hfName;
    }

    /** Whether q/k/v projections carry biases regardless of config (Qwen2 does). */
    public boolean qkvBias() {
        return qkvBias;
    }

    /** max_position_embeddings where config.json has none: the default of the family's transformers config class. */
    public int defaultMaxPositions() {
        return defaultMaxPositions;
    }

    /**
     * num_key_value_heads where config.json has no such key, as the family's transformers config class defaults it:
     * Mistral 8, Qwen2 32, Llama one per attention head (a null value means one per attention head in all three).
     */
    public int defaultKvHeads(int attentionHeads) {
        return defaultKvHeads > 0 ? defaultKvHeads : attentionHeads;
    }

    public static Architecture fromHfName(String name, String where) {
        for (Architecture a : values()) {
            if (a.hfName.equals(name)) {
                return a;
            }
        }
        throw new ModelException(where + ": unsupported architecture '" + name + "'; supported: "
                + Arrays.stream(values()).map(Architecture::hfName).collect(Collectors.joining(", ")));
    }
}
