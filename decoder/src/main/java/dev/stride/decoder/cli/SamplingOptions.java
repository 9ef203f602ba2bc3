package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stride.decoder.engine.ForeignParameters;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.PromptRequests;
import dev.stride.decoder.engine.RequestException;
import dev.stride.decoder.engine.SamplingParams;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Generation parameters; JSONL lines may override each one by its snake_case name. */
final class SamplingOptions {

    @Option(names = "--max-new-tokens", defaultValue = "" + GenerationRequest.DEFAULT_MAX_NEW_TOKENS,
            description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "" + SamplingParams.DEFAULT_TEMPERATURE,
            converter = FloatConverter.class, description = "0 = greedy (default).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "" + SamplingParams.DEFAULT_TOP_K, description = "0 = off (default).")
    int topK;

    @Option(names = "--top-p", defaultValue = "" + SamplingParams.DEFAULT_TOP_P, converter = FloatConverter.class,
            description = "1 = off (default).")
    float topP;

    @Option(names = "--seed", defaultValue = "" + SamplingParams.DEFAULT_SEED,
            description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", description = "Stop string (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--logprobs", paramLabel = "N", defaultValue = "" + GenerationRequest.NO_LOGPROBS,
            description = "Report each completion token's log-probability and its N most likely alternatives "
                    + "(0-20; default: off).")
    int logprobs;

    /**
     * The flags' own values, checked before the model loads: a bad one would fail every prompt, each as an
     * invalid_override of a key its line never set. The check's messages start with the JSON key, which is the
     * flag's name in snake_case.
     */
    void validate() {
        try {
            PromptRequests.parameters(maxNewTokens, temperature, topK, topP, seed, stop, logprobs);
        } catch (RequestException e) {
            String key = e.getMessage().split(" ", 2)[0];
            throw new UsageException("--" + key.replace('_', '-') + ": " + e.getMessage(), e);
        }
    }

    /**
     * A copy with a JSONL line's overrides applied; wrong types, keys named like an override but for case, and
     * parameters of other APIs that Stride does not read ({@link ForeignParameters}) are an invalid_override error.
     */
    SamplingOptions withOverrides(JsonNode line) {
        SamplingOptions s = new SamplingOptions();
        s.maxNewTokens = maxNewTokens;
        s.temperature = temperature;
        s.topK = topK;
        s.topP = topP;
        s.seed = seed;
        s.stop = stop;
        s.logprobs = logprobs;
        if (line == null) {
            return s;
        }
        refuseUnread(line);
        if (line.hasNonNull("max_new_tokens")) {
            s.maxNewTokens = integer(line, "max_new_tokens");
        }
        if (line.hasNonNull("temperature")) {
            s.temperature = number(line, "temperature");
        }
        if (line.hasNonNull("top_k")) {
            s.topK = integer(line, "top_k");
        }
        if (line.hasNonNull("top_p")) {
            s.topP = number(line, "top_p");
        }
        if (line.hasNonNull("seed")) {
            s.seed = longInteger(line, "seed");
        }
        if (line.hasNonNull("logprobs")) {
            s.logprobs = integer(line, "logprobs");
        }
        if (line.hasNonNull("stop")) {
            JsonNode node = line.get("stop");
            List<String> stops = new ArrayList<>();
            for (JsonNode stop : node.isArray() ? node : List.of(node)) {
                if (!stop.isTextual()) {
                    throw new RequestException("invalid_override", "stop must be a string or a list of strings, got "
                            + node);
                }
                stops.add(stop.asText());
            }
            s.stop = stops;
        }
        return s;
    }

    /**
     * Refuses keys that look like parameters but are not read: decoded with the flags' values, the line looked as if
     * they had taken effect. A null value sets nothing, as it does for the overrides.
     */
    private static void refuseUnread(JsonNode line) {
        for (Iterator<String> keys = line.fieldNames(); keys.hasNext();) {
            String key = keys.next();
            if (line.get(key).isNull()) {
                continue;
            }
            Optional<String> override = PromptRequests.OVERRIDE_KEYS.stream().filter(key::equalsIgnoreCase)
                    .findFirst();
            if (override.isPresent() && !override.get().equals(key)) {
                throw new RequestException("invalid_override", key + " is named like the override " + override.get()
                        + " but for case, and is not read (keys are compared exactly): use " + override.get());
            }
            Optional<String> advice = ForeignParameters.advice(key);
            if (advice.isPresent()) {
                throw new RequestException("invalid_override", key + " is a generation parameter of other APIs, "
                        + "which Stride does not read: " + advice.get());
            }
        }
    }

    private static int integer(JsonNode line, String key) {
        JsonNode value = line.get(key);
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new RequestException("invalid_override", key + " must be a 32-bit integer, got " + value);
        }
        return value.intValue();
    }

    private static long longInteger(JsonNode line, String key) {
        JsonNode value = line.get(key);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new RequestException("invalid_override", key + " must be a 64-bit integer, got " + value);
        }
        return value.longValue();
    }

    private static float number(JsonNode line, String key) {
        if (!line.get(key).isNumber()) {
            throw new RequestException("invalid_override", key + " must be a number, got " + line.get(key));
        }
        try {
            return SamplingParams.narrowed(key, line.get(key).asDouble());
        } catch (IllegalArgumentException e) {
            throw new RequestException("invalid_override", e.getMessage());
        }
    }
}
