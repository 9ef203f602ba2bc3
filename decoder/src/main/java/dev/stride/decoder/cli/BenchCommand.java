package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.PassCostMeter;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.mtp.SpeculationCosts;
import dev.stride.decoder.train.TrainingPrompts;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code stride bench}: plain and multi-token decoding of the same prompts in one process, interleaved round by
 * round so machine noise hits both alike; checks the outputs are identical and reports speed against the
 * memory-bandwidth bound. With {@code --pass-cost}, prints the pass-cost curve instead; with {@code --sweep}, runs
 * every fixed tree and {@code auto} against plain decoding in one process.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Compare plain and multi-token decoding speed; the last line is one JSON object.")
public final class BenchCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    DecodingOptions decoding = new DecodingOptions();

    @Option(names = "--input", description = "Prompts: .jsonl ({\"prompt\": ...} per line) or text (one per line);"
            + " default: the model's references.jsonl, else random ids.")
    Path input;

    @Option(names = "--prompts", defaultValue = "16", description = "Prompts to use (default: ${DEFAULT-VALUE}).")
    int promptCount;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--repeat", defaultValue = "3", description = "Timed rounds of each mode (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--pass-cost", description = "Measure pass time for 1..64 new tokens instead.")
    boolean passCost;

    @Option(names = "--prefix", defaultValue = "" + Engine.COST_PREFIX, description = "With --pass-cost: tokens"
            + " already cached before the measured rows, where attention's share grows (default: ${DEFAULT-VALUE}).")
    int prefix;

    @Option(names = "--temperature", defaultValue = "0", converter = FloatConverter.class,
            description = "0 = greedy (default).")
    float temperature;

    @Option(names = "--stop-at-eos", description = "End each sequence at end-of-sequence, as generate and the Spark"
            + " job do (default: every sequence runs all --max-new-tokens).")
    boolean stopAtEos;

    @Option(names = "--trees", split = ",", paramLabel = "TREE", description = "With --sweep: the trees to run"
            + " (default: chain:1..K, nodes:4..32, static, the designed tree, auto)")
    List<String> sweepTrees;

    @Option(names = "--sweep", description = "Run chain:1..K, nodes:4..32, static, the heads' designed tree (if any)"
            + " and auto, each against plain decoding in the same rounds; one table row per tree.")
    boolean sweep;

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        requireAtLeastOne("--prompts", promptCount);
        requireAtLeastOne("--repeat", repeat);
        requireAtLeastOne("--max-new-tokens", maxNewTokens);
        requireAtLeastOne("--max-batch", decoding.maxBatch);
        requireOptionsOfThisMode();
        if (sweepTrees != null && sweepTrees.stream().distinct().count() < sweepTrees.size()) {
            throw new UsageException("--trees " + String.join(",", sweepTrees) + ": a tree is named twice");
        }
        try (Engine engine = Engine.load(decoding.engineOptions())) {
            double bandwidth = MemoryBandwidth.measureBytesPerSecond(engine.threads());
            if (passCost) {
                printPassCost(engine, out, bandwidth);
                return 0;
            }
            if (engine.heads().isEmpty()) {
                throw new UsageException("bench compares plain and multi-token decoding: give --heads DIR");
            }
            List<GenerationRequest> requests = prompts(engine);
            if (sweep) {
                return sweep(engine, out, requests);
            }
            DecoderOptions plain = new DecoderOptions(DecodingMode.AR, decoding.tree, decoding.maxBatch);
            DecoderOptions multi = new DecoderOptions(DecodingMode.MTP, decoding.tree, decoding.maxBatch);
            engine.warmUp(); // compiles the drafting too, which auto may run too rarely to compile it
            engine.speculationCosts(); // measured once, before any timing
            warmUp(engine, plain, multi, requests);
            Round ar = new Round();
            Round mtp = new Round();
            List<GenerationResult> arResults = null;
            List<GenerationResult> mtpResults = null;
            IdenticalRows identical = new IdenticalRows(requests.size());
            for (int r = 0; r < repeat; r++) {
                // Every other round runs multi-token decoding first, so a machine drifting within a pair of runs
                // (clock, cache, the other tenants) favours neither mode over the rounds.
                if (r % 2 == 0) {
                    arResults = ar.add(run(engine, plain, requests));
                    mtpResults = mtp.add(run(engine, multi, requests));
                } else {
                    mtpResults = mtp.add(run(engine, multi, requests));
                    arResults = ar.add(run(engine, plain, requests));
                }
                identical.compare(arResults, mtpResults);
            }
            requireDecodePasses(arResults);
            report(engine, out, requests.size(), identical.count(), ar, mtp, mtpResults, bandwidth);
            return identical.count() == requests.size() ? 0 : 1;
        }
    }

    private void requireAtLeastOne(String option, int value) {
        if (value < 1) {
            throw new UsageException(option + " " + value + ": expected 1 or more");
        }
    }

    /**
     * Multi-token decoding starts after the token prefill chooses. Where no sequence got past it, the two modes ran
     * the same passes: tokens per pass were 0 / 0 and, with no token at all, the speedup too, printed as "NaN".
     */
    private void requireDecodePasses(List<GenerationResult> results) {
        if (results.stream().allMatch(r -> r.decodePasses() == 0)) {
            throw new IllegalArgumentException("no prompt got past its first token (--max-new-tokens " + maxNewTokens
                    + (stopAtEos ? ", or each ended at end-of-sequence" : "") + "): no multi-token decoding to time");
        }
    }

    /** An option of another mode would be ignored, and the numbers printed would not be those asked for. */
    private void requireOptionsOfThisMode() {
        ParseResult parsed = spec.commandLine().getParseResult();
        String misplaced = null;
        if (parsed.hasMatchedOption("--trees") && !sweep) {
            misplaced = "--trees: only with --sweep";
        } else if (parsed.hasMatchedOption("--prefix") && !passCost) {
            misplaced = "--prefix: only with --pass-cost";
        } else if (sweep && parsed.hasMatchedOption("--tree")) {
            misplaced = "--tree: not with --sweep (name its trees with --trees)";
        } else if (sweep && passCost) {
            misplaced = "--pass-cost: not with --sweep";
        }
        if (misplaced != null) {
            throw new UsageException(misplaced);
        }
    }

    /** The trees a sweep compares: chains, node budgets, the built-in and designed static trees, and auto. */
    private List<String> sweepTrees(Engine engine) {
        if (sweepTrees != null) {
            return sweepTrees;
        }
        List<String> trees = new ArrayList<>();
        for (int k = 1; k <= engine.numHeads(); k++) {
            trees.add("chain:" + k);
        }
        for (int nodes = 4; nodes <= 32; nodes *= 2) {
            trees.add("nodes:" + nodes);
        }
        trees.add("static");
        Path designed = decoding.heads.resolve("tree.json"); // written by train-heads
        if (Files.isRegularFile(designed)) {
            trees.add("file:" + designed);
        }
        trees.add("auto");
        return trees;
    }

    /**
     * Every tree against plain decoding: each round runs plain once and then every tree, and a tree's speedup is the
     * median over rounds of its throughput over that round's plain throughput.
     */
    private int sweep(Engine engine, PrintStream out, List<GenerationRequest> requests) {
        List<String> trees = sweepTrees(engine);
        DecoderOptions plain = new DecoderOptions(DecodingMode.AR, "auto", decoding.maxBatch);
        List<DecoderOptions> multi = trees.stream()
                .map(tree -> new DecoderOptions(DecodingMode.MTP, tree, decoding.maxBatch)).toList();
        engine.warmUp();
        engine.speculationCosts();
        for (DecoderOptions options : multi) {
            warmUp(engine, plain, options, requests);
        }
        Round ar = new Round();
        List<Round> rounds = trees.stream().map(t -> new Round()).toList();
        List<GenerationResult> arResults = null;
        List<List<GenerationResult>> results = new ArrayList<>(Collections.nCopies(trees.size(), null));
        List<IdenticalRows> identical = trees.stream().map(t -> new IdenticalRows(requests.size())).toList();
        for (int r = 0; r < repeat; r++) {
            arResults = ar.add(run(engine, plain, requests));
            // Each round starts one tree later: no tree always runs right after plain decoding, or last (after the
            // largest trees), where the JIT's profile and the machine's drift would favour or hurt it every round.
            for (int k = 0; k < trees.size(); k++) {
                int t = (k + r) % trees.size();
                results.set(t, rounds.get(t).add(run(engine, multi.get(t), requests)));
                identical.get(t).compare(arResults, results.get(t));
            }
        }
        requireDecodePasses(arResults);
        out.printf("plain: %.1f tokens/s, max batch %d, threads %d, %d prompts, %d rounds, weights %s%n",
                ar.tokensPerSecond(), decoding.maxBatch, engine.threads(), requests.size(), repeat,
                engine.weightLayout());
        out.printf("%-40s %12s %9s %13s %10s %10s %10s%n", "tree", "tokens/s", "speedup", "rounds", "tok/pass",
                "rows/pass", "identical");
        ObjectNode json = JSON.createObjectNode();
        json.put("ar_tokens_per_s", ar.tokensPerSecond());
        json.put("max_batch", decoding.maxBatch);
        json.put("threads", engine.threads());
        json.put("weight_layout", engine.weightLayout());
        ObjectNode perTree = json.putObject("trees");
        boolean allIdentical = true;
        for (int t = 0; t < trees.size(); t++) {
            Passes passes = Passes.of(results.get(t));
            int identicalRows = identical.get(t).count();
            allIdentical &= identicalRows == requests.size();
            // The spread of the per-round ratios says how far apart two trees must be to differ on this machine.
            double[] ratios = roundRatios(ar, rounds.get(t));
            double speedup = HeldOutBest.median(ratios);
            double lowest = Arrays.stream(ratios).min().orElseThrow();
            double highest = Arrays.stream(ratios).max().orElseThrow();
            out.printf("%-40s %12.1f %8.2fx %6.2f-%.2fx %10.2f %10.2f %7d/%d%n", trees.get(t),
                    rounds.get(t).tokensPerSecond(), speedup, lowest, highest, passes.tokensPerPass(),
                    passes.meanNodes(), identicalRows, requests.size());
            ObjectNode row = perTree.putObject(trees.get(t));
            row.put("tokens_per_s", rounds.get(t).tokensPerSecond()).put("speedup", speedup);
            row.putArray("speedup_range").add(lowest).add(highest);
            row.put("tokens_per_pass", passes.tokensPerPass()).put("mean_tree_nodes", passes.meanNodes())
                    .put("identical_rows", identicalRows);
        }
        if (repeat >= 2 && trees.contains("auto") && trees.size() > 1) {
            printHeldOutBest(out, json, trees, ar, rounds);
        }
        json.put("rows", requests.size());
        out.println(json);
        return allIdentical ? 0 : 1;
    }

    /** auto beside the best fixed tree picked without the round it is scored on (see {@link HeldOutBest}). */
    private static void printHeldOutBest(PrintStream out, ObjectNode json, List<String> trees, Round ar,
                                         List<Round> rounds) {
        List<String> fixed = new ArrayList<>();
        List<double[]> ratios = new ArrayList<>();
        for (int t = 0; t < trees.size(); t++) {
            if (!trees.get(t).equals("auto")) {
                fixed.add(trees.get(t));
                ratios.add(roundRatios(ar, rounds.get(t)));
            }
        }
        HeldOutBest best = HeldOutBest.of(fixed, ratios.toArray(double[][]::new));
        double auto = medianSpeedup(ar, rounds.get(trees.indexOf("auto")));
        out.printf("best fixed tree picked on the other rounds: %.2fx (%s); auto %.2fx, %.0f %% of it%n",
                best.speedup(), best.picks(), auto, 100 * auto / best.speedup());
        json.putObject("held_out_best_fixed").put("speedup", best.speedup()).put("auto_share", auto / best.speedup())
                .set("picks", JSON.valueToTree(best.picks()));
    }

    /** Decode tokens, decode passes and tree nodes summed over results. */
    private record Passes(long tokens, long passes, long nodes) {
        static Passes of(List<GenerationResult> results) {
            long tokens = 0;
            long passes = 0;
            long nodes = 0;
            for (GenerationResult r : results) {
                tokens += r.decodeTokens();
                passes += r.decodePasses();
                nodes += r.treeNodes();
            }
            return new Passes(tokens, passes, nodes);
        }

        double tokensPerPass() {
            return (double) tokens / passes;
        }

        double meanNodes() {
            return (double) nodes / passes;
        }
    }

    /**
     * Rows whose completion (tokens and finish reason) came out the same in both modes in every round compared:
     * {@code auto}'s trees change from round to round as it learns, and any round may be the one that differs.
     */
    static final class IdenticalRows {
        private final boolean[] differs;

        IdenticalRows(int rows) {
            differs = new boolean[rows];
        }

        void compare(List<GenerationResult> expected, List<GenerationResult> actual) {
            for (int i = 0; i < differs.length; i++) {
                differs[i] |= !Arrays.equals(expected.get(i).completionIds(), actual.get(i).completionIds())
                        || expected.get(i).finishReason() != actual.get(i).finishReason();
            }
        }

        int count() {
            int identical = 0;
            for (boolean differing : differs) {
                identical += differing ? 0 : 1;
            }
            return identical;
        }
    }

    /** Alternates the modes until both have run for a second and at least twice: the JIT compiles both paths. */
    private static void warmUp(Engine engine, DecoderOptions plain, DecoderOptions multi,
                               List<GenerationRequest> requests) {
        long deadline = System.nanoTime() + 1_000_000_000L;
        for (int round = 0; round < 2 || System.nanoTime() < deadline; round++) {
            run(engine, plain, requests);
            run(engine, multi, requests);
        }
    }

    /** Tokens and time of one mode, per timed round. */
    private static final class Round {
        final List<Double> tokensPerSecond = new ArrayList<>();
        long tokens;
        double seconds;

        List<GenerationResult> add(Timed timed) {
            long roundTokens = 0;
            for (GenerationResult r : timed.results) {
                roundTokens += r.completionTokens();
            }
            tokens += roundTokens;
            seconds += timed.seconds;
            tokensPerSecond.add(roundTokens / timed.seconds);
            return timed.results;
        }

        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    /**
     * Median over rounds of multi-token / plain throughput, each ratio from two adjacent rounds: on a shared,
     * noisy machine a slow spell then hits one ratio instead of a whole mode's total.
     */
    private static double medianSpeedup(Round ar, Round mtp) {
        return HeldOutBest.median(roundRatios(ar, mtp));
    }

    /** Multi-token over plain throughput, round by round. */
    private static double[] roundRatios(Round ar, Round mtp) {
        double[] ratios = new double[ar.tokensPerSecond.size()];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = mtp.tokensPerSecond.get(i) / ar.tokensPerSecond.get(i);
        }
        return ratios;
    }

    private record Timed(List<GenerationResult> results, double seconds) {
    }

    private static Timed run(Engine engine, DecoderOptions options, List<GenerationRequest> requests) {
        long t0 = System.nanoTime();
        List<GenerationResult> results;
        try (BatchDecoder decoder = engine.newDecoder(options)) {
            requests.forEach(decoder::submit);
            results = decoder.runToCompletion();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        results.sort(Comparator.comparing(GenerationResult::id));
        for (GenerationResult r : results) {
            if (!r.ok()) {
                throw new IllegalStateException("request " + r.id() + " failed: " + r.error());
            }
        }
        return new Timed(results, seconds);
    }

    private List<GenerationRequest> prompts(Engine engine) {
        Path file = input != null ? input : engine.modelDir().resolve("references.jsonl");
        List<GenerationRequest> requests = new ArrayList<>();
        SamplingParams sampling = new SamplingParams(temperature, 0, 1f, 1234);
        if (input != null || Files.isRegularFile(file)) {
            for (String prompt : TrainingPrompts.read(file)) {
                if (requests.size() < promptCount) {
                    requests.add(new GenerationRequest(String.format("%04d", requests.size()),
                            engine.tokenizer().encode(prompt), maxNewTokens, sampling, List.of(), !stopAtEos));
                }
            }
        } else {
            SplittableRandom random = new SplittableRandom(7);
            int vocab = engine.model().config().vocabSize();
            for (int i = 0; i < promptCount; i++) {
                requests.add(new GenerationRequest(String.format("%04d", i), random.ints(16, 0, vocab).toArray(),
                        maxNewTokens, sampling, List.of(), !stopAtEos));
            }
        }
        return requests;
    }

    private void report(Engine engine, PrintStream out, int rows, int identical, Round ar, Round mtp,
                        List<GenerationResult> mtpResults, double bandwidth) {
        Passes passes = Passes.of(mtpResults);
        double tokensPerPass = passes.tokensPerPass();
        double meanNodes = passes.meanNodes();
        SpeculationCosts costs = engine.speculationCosts();
        PassCostCurve curve = costs.pass();
        double speedup = medianSpeedup(ar, mtp);
        double boundTokensPerSecond = bandwidth / engine.weightBytes();
        out.printf("%-28s %14s %14s%n", "", "plain (ar)", "multi-token");
        out.printf("%-28s %14.1f %14.1f%n", "output tokens/s", ar.tokensPerSecond(), mtp.tokensPerSecond());
        out.printf("%-28s %14.2f %14.2f%n", "tokens per pass", 1.0, tokensPerPass);
        out.printf("%-28s %14.1f %14.1f%n", "mean rows per sequence-pass", 1.0, meanNodes);
        out.printf("speedup %.2fx (median of %d interleaved rounds), identical rows %d/%d, tree %s, threads %d,"
                + " max batch %d%n", speedup, repeat, identical, rows, decoding.tree, engine.threads(), decoding.maxBatch);
        out.printf("one head costs %.2f plain passes (each further level %.2f); a pass with %d rows costs %.2f%n",
                costs.firstHead().cost(1) / curve.cost(1), costs.nextHead().cost(1) / curve.cost(1),
                Math.round(meanNodes), curve.ratio((int) Math.round(meanNodes)));
        out.printf("bandwidth bound (batch 1): %.1f tokens/s = %.1f GB/s measured / %.1f MB of weights per pass (%s)%n",
                boundTokensPerSecond, bandwidth / 1e9, engine.weightBytes() / 1e6, engine.weightLayout());
        ObjectNode json = JSON.createObjectNode();
        json.put("ar_tokens_per_s", ar.tokensPerSecond());
        json.put("mtp_tokens_per_s", mtp.tokensPerSecond());
        json.put("speedup", speedup);
        json.put("tokens_per_pass", tokensPerPass);
        json.put("mean_tree_nodes", meanNodes);
        json.put("identical_rows", identical);
        json.put("rows", rows);
        json.put("pass_cost_ratio", curve.ratio((int) Math.round(meanNodes)));
        json.put("pass_cost_ratio_16", curve.ratio(16));
        json.put("head_cost_ratio", costs.firstHead().cost(1) / curve.cost(1));
        json.put("next_head_cost_ratio", costs.nextHead().cost(1) / curve.cost(1));
        json.put("threads", engine.threads());
        json.put("max_batch", decoding.maxBatch);
        json.put("model", engine.modelName());
        json.put("heads", engine.headsName().orElse(null));
        json.put("tree", decoding.tree);
        json.put("max_new_tokens", maxNewTokens);
        json.put("weight_bytes", engine.weightBytes());
        json.put("weight_layout", engine.weightLayout());
        json.put("memory_bandwidth_gbs", bandwidth / 1e9);
        json.put("bandwidth_bound_tokens_per_s", boundTokensPerSecond);
        json.put("ar_fraction_of_bound_batch1", curve.cost(1) > 0 ? (1.0 / curve.cost(1)) / boundTokensPerSecond : 0);
        out.println(json);
    }

    private void printPassCost(Engine engine, PrintStream out, double bandwidth) {
        int rows = PassCostMeter.DEFAULT_ROWS[PassCostMeter.DEFAULT_ROWS.length - 1];
        int context = engine.model().config().maxPositions();
        if (prefix < 0 || prefix + rows > context) {
            throw new IllegalArgumentException("--prefix " + prefix + ": must leave room for " + rows
                    + " rows in the model's context of " + context + " tokens");
        }
        PassCostCurve curve = engine.measurePassCost(prefix);
        PassBound bound = new PassBound(engine.weightBytes(), engine.multiplyAddsPerRow(prefix), bandwidth,
                PeakFlops.measureFlopsPerSecond(engine.threads()));
        double[] used = curve.seconds();
        double[] measured = curve.measured();
        double plainSeconds = measured[0]; // as timed: the curve may have pooled it with larger passes
        out.printf("%-8s %11s %10s %8s %10s %12s %12s%n", "tokens", "measured ms", "pass ms", "ratio", "bound ms",
                "bound ratio", "over bound");
        ObjectNode ratios = JSON.createObjectNode();
        ObjectNode overBound = JSON.createObjectNode();
        ObjectNode measuredMs = JSON.createObjectNode();
        ObjectNode passMs = JSON.createObjectNode();
        for (int i = 0; i < curve.rows().length; i++) {
            int n = curve.rows()[i];
            double floor = bound.seconds(n);
            out.printf("%-8d %11.3f %10.3f %8.2f %10.3f %12.2f %11.2fx%n", n, measured[i] * 1e3, used[i] * 1e3,
                    curve.ratio(n), floor * 1e3, floor / bound.seconds(1), used[i] / floor);
            ratios.put(String.valueOf(n), curve.ratio(n));
            overBound.put(String.valueOf(n), used[i] / floor);
            measuredMs.put(String.valueOf(n), measured[i] * 1e3);
            passMs.put(String.valueOf(n), used[i] * 1e3);
        }
        if (!Arrays.equals(used, measured)) {
            out.println("pass ms: the medians made non-decreasing with rows by least squares, as auto's cost model"
                    + " uses them (and the ratios here)");
        }
        out.printf("bound: %.1f MB of %s weights at %.1f GB/s, or %.1f MFLOP per row (after %d cached tokens) at %.1f"
                        + " GFLOP/s peak; arithmetic binds from %.1f rows%n", engine.weightBytes() / 1e6,
                engine.weightLayout(), bandwidth / 1e9, 2.0 * bound.multiplyAddsPerRow() / 1e6, prefix,
                bound.flopsPerSecond() / 1e9, bound.computeBoundFromRows());
        out.printf("plain pass %.3f ms: %.2fx its bound%n", plainSeconds * 1e3, plainSeconds / bound.seconds(1));
        ObjectNode json = JSON.createObjectNode();
        json.put("model", engine.modelName());
        json.put("threads", engine.threads());
        json.put("prefix", prefix);
        json.set("pass_cost_ratio", ratios);
        json.set("pass_over_bound", overBound);
        json.set("measured_ms", measuredMs);
        json.set("pass_ms", passMs);
        json.put("plain_pass_ms", plainSeconds * 1e3);
        json.put("bandwidth_bound_ms", engine.weightBytes() / bandwidth * 1e3);
        json.put("plain_over_bound", plainSeconds / bound.seconds(1));
        json.put("memory_bandwidth_gbs", bandwidth / 1e9);
        json.put("peak_gflops", bound.flopsPerSecond() / 1e9);
        json.put("mflop_per_row", 2.0 * bound.multiplyAddsPerRow() / 1e6);
        json.put("weight_bytes", engine.weightBytes());
        json.put("weight_layout", engine.weightLayout());
        out.println(json);
    }
}
