package dev.stride.decoder.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The Hugging Face architectures Stride runs. They share one forward pass; these flags are what differs. */
public enum Architecture {
    LLAMA("LlamaForCausalLM", false),
    MISTRAL("MistralForCausalLM", false),
    QWEN2("Qwen2ForCausalLM", true);

    private final String hfName;
    private final boolean qkvBias;

    Architecture(String hfName, boolean qkvBias) {
        this.hfName = hfName;
        this.qkvBias = qkvBias;
    }

    public String hfName() {
        return hfName;
    }

    /** Whether q/k/v projections carry biases regardless of config (Qwen2 does). */
    public boolean qkvBias() {
        return qkvBias;
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
