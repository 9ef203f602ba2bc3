package dev.stride.decoder.engine;

import dev.stride.decoder.tokenizer.ChatMessage;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import java.util.List;

/** Turns prompt text (or chat messages) and per-prompt parameters into a request, with typed errors. */
public final class PromptRequests {

    /**
     * The per-prompt parameters, by the exact names a JSONL line's keys and a job's input columns give them; each
     * message of {@link #parameters} starts with one.
     */
    public static final List<String> OVERRIDE_KEYS = List.of("max_new_tokens", "temperature", "top_p", "top_k",
            "seed", "stop", "logprobs");

    private PromptRequests() {
    }

    /**
     * @param messages chat messages, used instead of {@code prompt} when non-null
     * @param chat apply the model's chat template to a plain prompt (as a single user message)
     * @param logprobs alternatives per token to report, or {@link GenerationRequest#NO_LOGPROBS}
     * @throws RequestException kinds: empty_prompt, chat_template, tokenize_failed, invalid_override
     */
    public static GenerationRequest build(StrideTokenizer tokenizer, String id, String prompt,
                                          List<ChatMessage> messages, boolean chat, int maxNewTokens,
                                          float temperature, int topK, float topP, long seed, List<String> stops,
                                          int logprobs) {
        SamplingParams sampling = parameters(maxNewTokens, temperature, topK, topP, seed, stops, logprobs);
        int[] ids = tokens(tokenizer, prompt, messages, chat);
        return new GenerationRequest(id, ids, maxNewTokens, sampling, stops, false, logprobs);
    }

    /**
     * Checks a request's parameters, each error message starting with the parameter's snake_case name.
     *
     * @throws RequestException kind invalid_override
     */
    public static SamplingParams parameters(int maxNewTokens, float temperature, int topK, float topP, long seed,
                                            List<String> stops, int logprobs) {
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(temperature, topK, topP, seed);
        } catch (IllegalArgumentException e) {
            throw new RequestException("invalid_override", e.getMessage());
        }
        if (maxNewTokens <= 0) {
            throw new RequestException("invalid_override", "max_new_tokens must be > 0, got " + maxNewTokens);
        }
        if (stops != null && stops.stream().anyMatch(s -> s == null || s.isEmpty())) {
            throw new RequestException("invalid_override", "stop strings must be non-empty");
        }
        try {
            GenerationRequest.checkLogprobs(logprobs);
        } catch (IllegalArgumentException e) {
            throw new RequestException("invalid_override", e.getMessage());
        }
        return sampling;
    }

    private static int[] tokens(StrideTokenizer tokenizer, String prompt, List<ChatMessage> messages, boolean chat) {
        if (messages != null) {
            if (messages.isEmpty()) {
                throw new RequestException("empty_prompt", "messages is empty");
            }
            return chatTokens(tokenizer, messages);
        }
        if (prompt == null || prompt.isEmpty()) {
            throw new RequestException("empty_prompt", prompt == null ? "prompt is null" : "prompt is empty");
        }
        if (chat) {
            return chatTokens(tokenizer, List.of(new ChatMessage("user", prompt)));
        }
        int[] ids;
        try {
            ids = tokenizer.encode(prompt);
        } catch (RuntimeException e) {
            throw new RequestException("tokenize_failed", e.getMessage());
        }
        if (ids.length == 0) {
            throw new RequestException("empty_prompt", "prompt encodes to no tokens");
        }
        return ids;
    }

    private static int[] chatTokens(StrideTokenizer tokenizer, List<ChatMessage> messages) {
        try {
            return tokenizer.encodeChat(messages);
        } catch (RuntimeException e) {
            throw new RequestException("chat_template", e.getMessage());
        }
    }
}
