package dev.stride.decoder.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The Hugging Face architectures Stride runs. They share one forward pass; these flags are what differs. */
public enum Architecture {
    LLAMA("LlamaForCausalLM", false, 2048),
    MISTRAL("MistralForCausalLM", false, 4096 * 32),
    QWEN2("Qwen2ForCausalLM", true, 32768);

    private final String hfName;
    private final boolean qkvBias;
    private final int defaultMaxPositions;

    Architecture(String hfName, boolean qkvBias, int defaultMaxPositions) {
        this.hfName = hfName;
        this.qkvBias = qkvBias;
        this.defaultMaxPositions = defaultMaxPositions;
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
