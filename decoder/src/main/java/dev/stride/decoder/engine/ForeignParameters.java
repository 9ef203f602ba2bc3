package dev.stride.decoder.engine;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Generation parameters of other inference APIs (OpenAI, vLLM, Hugging Face generate and TGI, llama.cpp's server)
 * that Stride does not read. A request carrying one, as a JSONL key of {@code stride generate} or an input column of
 * the job, is refused: decoded with Stride's own settings, it looked as if the parameter had taken effect. Any other
 * unknown name stays allowed, as requests carry metadata (a source, a reference answer); so do OpenAI's {@code n}
 * and llama.cpp's {@code grammar}, names datasets give their own columns (a count, a kind of exercise), where a run
 * stopped for them would cost more than their absence does (one completion per prompt shows at once).
 */
public final class ForeignParameters {

    private static final String SAMPLERS = "Stride does not support it; it samples with temperature, top_k, top_p "
            + "and seed only";
    private static final String CONSTRAINTS = "Stride does not support it; it does not constrain or bias the tokens "
            + "it samples";
    private static final String STOPPING = "Stride does not support it; a completion ends at the model's "
            + "end-of-sequence token, a stop string (stop) or max_new_tokens";
    private static final String SEQUENCES = "Stride does not support it; it makes one completion per prompt, "
            + "without beam search (repeat the prompt with other seeds for more)";

    /** What to use instead, by lowercase name. */
    private static final Map<String, String> ADVICE = advice();

    private ForeignParameters() {
    }

    private static Map<String, String> advice() {
        Map<String, String> advice = new HashMap<>();
        put(advice, "use max_new_tokens", "max_tokens", "max_completion_tokens", "max_output_tokens", "n_predict",
                "num_predict");
        put(advice, "use max_new_tokens, which counts the new tokens only, not the prompt", "max_length");
        put(advice, "use stop", "stop_sequences", "stop_strings");
        put(advice, "use seed", "random_seed");
        put(advice, "use logprobs, the number of alternatives per token", "top_logprobs", "n_probs", "top_n_tokens");
        put(advice, "use temperature: 0 decodes greedily, above 0 samples", "do_sample");
        put(advice, SAMPLERS, "repetition_penalty", "repeat_penalty", "repeat_last_n", "presence_penalty",
                "frequency_penalty", "penalize_nl", "no_repeat_ngram_size", "encoder_repetition_penalty", "min_p",
                "typical_p", "tfs_z", "top_a", "epsilon_cutoff", "eta_cutoff", "top_n_sigma", "mirostat",
                "mirostat_tau", "mirostat_eta", "dynatemp_range", "xtc_probability", "xtc_threshold",
                "dry_multiplier", "penalty_alpha");
        put(advice, CONSTRAINTS, "logit_bias", "bad_words", "bad_words_ids", "allowed_token_ids", "suppress_tokens",
                "json_schema", "response_format", "guided_json", "guided_regex", "guided_choice",
                "guided_grammar");
        put(advice, STOPPING, "stop_token_ids", "eos_token_id", "ignore_eos", "min_tokens", "min_new_tokens",
                "min_length");
        put(advice, SEQUENCES, "best_of", "num_return_sequences", "num_beams", "num_beam_groups",
                "use_beam_search", "length_penalty", "diversity_penalty", "early_stopping");
        return Map.copyOf(advice);
    }

    private static void put(Map<String, String> advice, String use, String... names) {
        for (String name : names) {
            advice.put(name, use);
        }
    }

    /**
     * What to use instead of the parameter {@code name}, or empty when it is not one of them. Names compare ignoring
     * case, as Spark resolves column names: a JDBC source names its columns MAX_TOKENS.
     */
    public static Optional<String> advice(String name) {
        return Optional.ofNullable(ADVICE.get(name.toLowerCase(Locale.ROOT)));
    }
}
