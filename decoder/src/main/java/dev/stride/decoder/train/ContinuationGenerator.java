package dev.stride.decoder.train;

import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Self-distillation data: the base model's own continuations of the training prompts, decoded by the engine.
 * Greedy continuations are what the heads must match at greedy decoding time, but a prompt has only one; repeats
 * of a prompt therefore start their greedy run after a short sampled lead-in, which gives new greedy trajectories
 * (and makes BOS-only data diverse). Sampled continuations (temperature 0.7 to 1.0) cover what sampled decoding
 * visits. Greedy data is worth more per token for greedy decoding, so the greedy share is a setting.
 */
public final class ContinuationGenerator {

    static final int MAX_BATCH = 16;
    private static final int MAX_LEAD_IN = 8;
    private static final float LEAD_IN_TEMPERATURE = 1.0f;

    /** How sample i is generated: greedy after {@code leadIn} sampled tokens, or sampled throughout. */
    private record Plan(int prompt, int leadIn, SamplingParams leadInSampling, SamplingParams sampling) {
    }

    private ContinuationGenerator() {
    }

    /**
     * @param prompts token ids (BOS included), at least one
     * @param progress told the number of finished samples
     */
    public static List<TokenSequence> generate(Engine engine, List<int[]> prompts, int samples, double greedyShare,
                                               int maxNewTokens, long seed, IntConsumer progress) {
        List<Plan> plans = plan(prompts, samples, greedyShare, maxNewTokens, engine.contextLength(), seed);
        List<GenerationRequest> leadIns = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            Plan plan = plans.get(i);
            if (plan.leadIn() > 0) {
                leadIns.add(new GenerationRequest(String.valueOf(i), prompts.get(plan.prompt()), plan.leadIn(),
                        plan.leadInSampling(), List.of(), true));
            }
        }
        Map<String, int[]> leadInIds = decode(engine, leadIns, done -> { });
        List<GenerationRequest> mains = new ArrayList<>();
        List<int[]> starts = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            Plan plan = plans.get(i);
            int[] start = concat(prompts.get(plan.prompt()), leadInIds.getOrDefault(String.valueOf(i), new int[0]));
            starts.add(start);
            mains.add(new GenerationRequest(String.valueOf(i), start, Math.max(1, maxNewTokens - plan.leadIn()),
                    plan.sampling(), List.of(), true));
        }
        Map<String, int[]> completions = decode(engine, mains, progress);
        int[] groups = groups(prompts);
        List<TokenSequence> sequences = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            Plan plan = plans.get(i);
            int[] tokens = concat(starts.get(i), completions.get(String.valueOf(i)));
            int greedyFrom = plan.sampling().greedy() ? starts.get(i).length - 1 : tokens.length;
            sequences.add(new TokenSequence(tokens, prompts.get(plan.prompt()).length - 1, groups[plan.prompt()],
                    greedyFrom));
        }
        return sequences;
    }

    /**
     * Each prompt's group: the index of its token ids among the distinct ones, in order of first appearance. A
     * prompt listed twice is one group, so the held-out split cannot train on one copy and hold out the other;
     * without repeats the group is the prompt's index.
     */
    private static int[] groups(List<int[]> prompts) {
        Map<List<Integer>, Integer> distinct = new HashMap<>();
        int[] groups = new int[prompts.size()];
        for (int p = 0; p < groups.length; p++) {
            List<Integer> ids = Arrays.stream(prompts.get(p)).boxed().toList();
            groups[p] = distinct.computeIfAbsent(ids, key -> distinct.size());
        }
        return groups;
    }

    /** Greedy samples spread evenly among sampled ones; each kind cycles through the prompts on its own. */
    private static List<Plan> plan(List<int[]> prompts, int samples, double greedyShare, int maxNewTokens, int context,
                                   long seed) {
        SplitMix64 random = new SplitMix64(seed);
        List<Plan> plans = new ArrayList<>();
        int greedy = 0;
        int sampled = 0;
        for (int i = 0; i < samples; i++) {
            if ((long) ((i + 1) * greedyShare) > (long) (i * greedyShare)) {
                int prompt = greedy % prompts.size();
                int room = Math.min(context - 2 - prompts.get(prompt).length, maxNewTokens - 1);
                int leadIn = greedy++ >= prompts.size() ? Math.min(1 + random.nextInt(MAX_LEAD_IN), room) : 0;
                plans.add(new Plan(prompt, Math.max(0, leadIn),
                        new SamplingParams(LEAD_IN_TEMPERATURE, 0, 1f, random.nextLong()), SamplingParams.GREEDY));
            } else {
                float temperature = (float) (0.7 + 0.3 * random.nextDouble());
                plans.add(new Plan(sampled++ % prompts.size(), 0, null,
                        new SamplingParams(temperature, 0, 1f, random.nextLong())));
            }
        }
        return plans;
    }

    /** Decodes plainly, at most {@link #MAX_BATCH} at a time; completions by request id. */
    private static Map<String, int[]> decode(Engine engine, List<GenerationRequest> requests, IntConsumer progress) {
        Map<String, int[]> out = new HashMap<>();
        try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(DecodingMode.AR, null, MAX_BATCH))) {
            requests.forEach(decoder::submit);
            while (decoder.hasWork() || out.size() < requests.size()) {
                decoder.step();
                for (GenerationResult result : decoder.drainFinished()) {
                    if (!result.ok()) {
                        throw new IllegalStateException("generating training data, request " + result.id() + ": "
                                + result.error());
                    }
                    out.put(result.id(), result.completionIds());
                }
                progress.accept(out.size());
            }
        }
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
