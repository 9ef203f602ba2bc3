package dev.stride.decoder.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.decoder.mtp.HeadsWriter;
import dev.stride.decoder.mtp.TreeSpecs;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.train.Checkpoint;
import dev.stride.decoder.train.Corpus;
import dev.stride.decoder.train.EngineMeasurement;
import dev.stride.decoder.train.HeadModel;
import dev.stride.decoder.train.HeadStats;
import dev.stride.decoder.train.HiddenStateRecorder;
import dev.stride.decoder.train.ModelProbe;
import dev.stride.decoder.train.ProgressBar;
import dev.stride.decoder.train.TokenSequence;
import dev.stride.decoder.train.TrainingPrompts;
import dev.stride.decoder.train.TrainingReport;
import dev.stride.decoder.train.Trainer;
import dev.stride.decoder.train.TreeDesign;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stride train-heads}: fits Medusa heads to a frozen model by self-distillation (the model's own greedy and
 * sampled continuations), then measures them through the engine.
 */
@Command(name = "train-heads", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train Medusa prediction heads for a model on its own continuations (self-distillation,"
                + " frozen base) and measure tokens per pass through the engine.",
            "Writes DIR/config.json and DIR/medusa_lm_head.safetensors (load with generate --heads DIR),"
                + " DIR/tree.json (--tree file:DIR/tree.json), DIR/draft_vocabulary.json (the tokens the heads"
                + " propose) and DIR/training_report.json."})
public final class TrainHeadsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face model directory (stays frozen).")
    Path model;

    @Option(names = "--out", required = true, description = "Output heads directory.")
    Path out;

    @Option(names = "--heads", defaultValue = "4", description = "Prediction heads K (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--layers", defaultValue = "1", description = "Residual blocks per head (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--shared-projection", description = "Heads project with the model's own lm_head, frozen: only"
            + " the residual blocks are trained and saved, and decoding runs every head's projection as rows of one"
            + " matmul (the heads file's config says \"shared_projection\": true).")
    boolean sharedProjection;

    @Option(names = "--token-input", description = "Each head also reads the token after the hidden state's position"
            + " (the model's own choice, known when the heads draft), through the model's embedding and a matrix of its"
            + " own (the heads file's config says \"token_input\": true; other Medusa tools cannot read such heads).")
    boolean tokenInput;

    @Option(names = "--draft-vocabulary", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write DIR/" + DraftVocabulary.FILE + ": the most frequent continuation tokens of the"
                    + " training data, enough to cover 95 %% of them. Decoding then projects the heads onto those"
                    + " tokens only (cheaper head levels; outputs unchanged). --no-draft-vocabulary drafts from the"
                    + " whole vocabulary (default: ${DEFAULT-VALUE}).")
    boolean draftVocabulary;

    @Option(names = "--prompts", description = {"Training prompts: .jsonl ({\"prompt\": ...} per line) or .txt (one per"
            + " line). Default: BOS alone, with sampled continuations for diversity.",
        "Parquet prompt files: convert them to JSONL first, e.g. with Spark: spark.read.parquet(FILE)"
            + ".select(\"prompt\").coalesce(1).write.json(DIR) writes DIR/part-*.json."})
    Path prompts;

    @Mixin
    ContinuationOptions continuations = new ContinuationOptions(2000, 0.5);

    @Option(names = "--steps", defaultValue = "3000", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", defaultValue = "256", description = "Positions per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--warmup-steps",
            description = "Linear warm-up steps, fewer than --steps (default: 5%% of --steps).")
    Integer warmupSteps;

    @Option(names = "--weight-decay", defaultValue = "0",
            description = "AdamW decay of the residual blocks' matrices (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global gradient clip (default: ${DEFAULT-VALUE}).")
    double maxGradNorm;

    @Option(names = "--head-decay", defaultValue = "0.8",
            description = "Loss weight of head k is this to the power k (default: ${DEFAULT-VALUE}).")
    double headDecay;

    @Option(names = "--held-out", defaultValue = "0.1", description = "Share of the distinct prompts held out of"
            + " training, above 0 and below 1 (default: ${DEFAULT-VALUE}). With fewer than 10 distinct prompts (BOS"
            + " alone included) it is a share of the sequences instead: held-out and trained continuations can then"
            + " share a prompt.")
    double heldOut;

    @Option(names = "--seed", defaultValue = "0", description = "Seed for data, split and batches (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "0", description = "Compute threads (0 = all CPUs).")
    int threads;

    /** Heads trained on a q8 model learn that model's hidden states and tokens. */
    @Mixin
    WeightsOption weights = new WeightsOption();

    @Option(names = "--checkpoint-every", defaultValue = "250",
            description = "Save a checkpoint to DIR/checkpoint every N steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from DIR/checkpoint, exactly where it stopped.")
    boolean resume;

    @Option(names = "--keep-checkpoint", description = "Keep DIR/checkpoint after training finishes.")
    boolean keepCheckpoint;

    @Option(names = "--dtype", defaultValue = "F16", converter = DTypeConverter.class,
            description = "F32, F16 or BF16 for the saved heads (default: ${DEFAULT-VALUE}).")
    DType headsDtype;

    @Option(names = "--eval-prompts", description = "Prompts (.jsonl/.txt) to measure tokens per pass on; never trained"
            + " on. Default: the held-out prompts.")
    Path evalPrompts;

    @Option(names = "--eval-max-new-tokens", defaultValue = "64",
            description = "Tokens per evaluation prompt (default: ${DEFAULT-VALUE}).")
    int evalMaxNewTokens;

    @Option(names = "--eval-max-batch", defaultValue = "1",
            description = "Sequences decoded together while measuring (default: ${DEFAULT-VALUE}).")
    int evalMaxBatch;

    @Option(names = "--eval-ignore-eos", description = "Keep decoding past end-of-sequence while measuring.")
    boolean evalIgnoreEos;

    @Option(names = "--eval-tree", split = ",",
            description = "Trees to measure (default: auto, nodes:16, chain:K and the designed tree file).")
    List<String> evalTrees;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        PrintStream log = System.err;
        validate();
        int threadCount = UsageException.checked(() -> ComputePool.threadsFor(threads));
        List<String> trainText = prompts == null ? List.of() : TrainingPrompts.read(prompts);
        List<String> evalText = evalPrompts == null ? null : TrainingPrompts.read(evalPrompts);
        prepareOutput(out); // after the inputs, so a refused run leaves no empty directory behind
        trainText = withoutEvalPrompts(trainText, evalText, log);
        TrainingReport report = new TrainingReport();
        report.put("command_line", commandLine());
        Checkpoint checkpoint = new Checkpoint(out.resolve("checkpoint"));
        HeadModel heads;
        Trainer.Evaluation heldOutEval;
        DraftVocabulary vocabulary;
        List<int[]> evalIds;
        double[] headWeights;
        try (Engine engine = Engine.load(new EngineOptions(model, null, threadCount, "cpu",
                EngineOptions.DEFAULT_KV_CACHE_BYTES, weights.choice));
             ComputePool pool = new ComputePool(threadCount)) {
            Model base = engine.model();
            requireHeapFor(base.config());
            report.put("weight_layout", engine.weightLayout());
            VectorOps ops = new VectorOps(pool);
            String fingerprint = fingerprint(engine.weightLayout(),
                    ModelProbe.digest(base.config(), base.weights(), ops));
            List<int[]> trainIds = TrainingPrompts.tokenize(engine, trainText, prompts);
            // Tokenized now: a prompt too long for the context would otherwise surface after the whole training.
            List<int[]> evalPromptIds = evalText == null ? null
                    : TrainingPrompts.tokenize(engine, evalText, evalPrompts);
            long t0 = System.nanoTime();
            List<TokenSequence> sequences;
            if (resume && checkpoint.hasSequences()) {
                sequences = checkpoint.loadSequences(fingerprint, base.config().vocabSize());
                log.printf("resume: %d sequences from %s%n", sequences.size(), checkpoint.dir());
            } else {
                sequences = continuations.generate(engine, trainIds, seed, log);
                checkpoint.saveSequences(sequences, fingerprint);
            }
            long t1 = System.nanoTime();
            ProgressBar recording = new ProgressBar(log, "hidden states", sequences.size());
            float[] hidden = HiddenStateRecorder.record(base.config(), base.weights(), ops, sequences,
                    done -> recording.update(done, "sequences"));
            recording.finish();
            Corpus corpus = new Corpus(sequences, hidden, base.config().hiddenSize(), heldOut, seed);
            if (corpus.heldOutPositions().length == 0) {
                // The tree design and the held-out statistics would come from nothing.
                throw new IllegalArgumentException("--held-out " + heldOut + ": the split of " + sequences.size()
                        + " sequences leaves no held-out positions; raise --samples, --max-new-tokens or --held-out");
            }
            vocabulary = draftVocabulary ? DraftVocabulary.of(corpus.continuationCounts(base.config().vocabSize()))
                    : null;
            long t2 = System.nanoTime();
            heads = HeadModel.initial(base.weights().lmHead(), tokenInput ? base.weights().embedding() : null,
                    this.heads, layers, sharedProjection);
            Trainer trainer = new Trainer(ops, corpus, heads, settings());
            if (resume && checkpoint.hasState()) {
                checkpoint.restoreState(trainer, fingerprint);
                log.printf("resume: continuing at step %d of %d%n", trainer.step(), steps);
            }
            int firstStep = trainer.step();
            train(trainer, checkpoint, fingerprint, log);
            long t3 = System.nanoTime();
            heldOutEval = trainer.evaluate(corpus.heldOutPositions());
            requireFiniteLoss(heldOutEval.stats());
            headWeights = trainer.headWeights();
            evalIds = evalPromptIds != null ? evalPromptIds : heldOutPrompts(corpus);
            long t4 = System.nanoTime();
            dataSection(report, corpus, trainText.size(), evalIds.size());
            trainingSection(report, threadCount, firstStep, trainer);
            report.section("timing_seconds")
                    .put("data_generation", (t1 - t0) / 1e9)
                    .put("hidden_states", (t2 - t1) / 1e9)
                    .put("training", (t3 - t2) / 1e9)
                    .put("held_out_evaluation", (t4 - t3) / 1e9);
        }
        HeadsWriter.write(heads.toMedusaHeads(out.getFileName().toString()), out, model.toAbsolutePath().normalize()
                .getFileName().toString(), headsDtype);
        writeDraftVocabulary(vocabulary, out, report);
        report.section("heads").put("num_heads", this.heads).put("num_layers", layers).put("token_input", tokenInput)
                .put("dtype", headsDtype.name()).put("directory", out.toString());
        report.heldOut(heldOutEval, headWeights);
        TreeDesign tree = TreeDesign.best(heldOutEval.accepted(), this.heads, 16);
        Path treeFile = out.resolve("tree.json");
        Files.writeString(treeFile, tree.toJson() + "\n", StandardCharsets.UTF_8);
        // The tree is for greedy decoding: on the demo the greedy continuations replay at 3.45 tokens per pass, all
        // (sampled ones too) at 2.48, which the report's engine measurement then misses.
        report.tree(tree, treeFile.getFileName().toString(), (heldOutEval.acceptedGreedy()
                ? "greedy held-out continuations, " : "all held-out continuations (none is greedy), ")
                + heldOutEval.accepted().positions() + " positions");
        printHeldOut(log, heldOutEval);
        long t5 = System.nanoTime();
        EngineMeasurement.Result measured;
        try (Engine engine = Engine.load(new EngineOptions(model, out, threadCount, "cpu",
                EngineOptions.DEFAULT_KV_CACHE_BYTES, weights.choice))) {
            measured = EngineMeasurement.measure(engine, evalIds, evalMaxNewTokens, evalMaxBatch, evalIgnoreEos,
                    trees(treeFile));
        }
        report.engine(measured);
        report.section("timing_seconds").put("engine_measurement", (System.nanoTime() - t5) / 1e9)
                .put("total", (System.nanoTime() - started) / 1e9);
        report.write(out.resolve(TrainingReport.FILE));
        printMeasured(log, measured);
        if (!keepCheckpoint) {
            deleteCheckpoint(checkpoint.dir());
        }
        boolean identical = measured.trees().stream().allMatch(EngineMeasurement.TreeResult::identical);
        if (!identical) {
            log.println("stride: multi-token output differed from plain decoding; see " + out.resolve(TrainingReport.FILE));
        }
        return identical ? 0 : 1;
    }

    /** The vocabulary beside the heads, or no file at all (a stale one from an earlier training would apply). */
    private static void writeDraftVocabulary(DraftVocabulary vocabulary, Path out, TrainingReport report)
            throws IOException {
        if (vocabulary == null) {
            Files.deleteIfExists(out.resolve(DraftVocabulary.FILE));
            report.section("draft_vocabulary").put("tokens", "all");
            return;
        }
        vocabulary.write(out);
        report.section("draft_vocabulary").put("file", DraftVocabulary.FILE).put("tokens", vocabulary.size())
                .put("coverage", vocabulary.coverage()).put("counted_tokens", vocabulary.countedTokens());
    }

    private void validate() {
        continuations.validate();
        if (heads <= 0 || layers < 0 || checkpointEvery <= 0) {
            throw new UsageException("--heads and --checkpoint-every must be > 0 and --layers >= 0");
        }
        // Nothing held out leaves the tree design (and, without --eval-prompts, the measurement) without data.
        if (!(heldOut > 0 && heldOut < 1)) {
            throw new UsageException("--held-out must be in (0, 1), got " + heldOut);
        }
        if (sharedProjection && layers == 0) {
            throw new UsageException("--shared-projection with --layers 0: heads with no layers that share"
                    + " the model's projection have no weights of their own; give --layers 1 or more");
        }
        if (tokenInput && layers == 0) {
            throw new UsageException("--token-input with --layers 0: the token enters through a head's first residual"
                    + " layer; give --layers 1 or more");
        }
        // Training settings are checked now, not after data generation (a negative clip would flip the gradient).
        requirePositive("--steps", steps);
        requirePositive("--batch-size", batchSize);
        requireFinite("--lr", learningRate, false);
        requireFinite("--max-grad-norm", maxGradNorm, false);
        requireFinite("--weight-decay", weightDecay, true);
        requireFinite("--head-decay", headDecay, true);
        // AdamW scales the blocks' matrices by 1 - lr * decay a step, lr at most --lr: 0 zeroes them, less flips them.
        if (learningRate * weightDecay >= 1) {
            throw new UsageException("--lr " + learningRate + " with --weight-decay " + weightDecay
                    + ": decoupled weight decay multiplies the residual blocks' matrices by 1 - lr * decay = "
                    + (1 - learningRate * weightDecay) + " at the peak rate, zeroing or flipping them each step;"
                    + " expected lr * decay below 1");
        }
        // A warm-up as long as the run never decays, and a longer one never reaches --lr.
        if (warmupSteps != null && (warmupSteps < 0 || warmupSteps >= steps)) {
            throw new UsageException("--warmup-steps " + warmupSteps + ": expected 0 or more, and fewer than"
                    + " --steps " + steps);
        }
        refuseModelDirectory();
        // What the measurement after training needs is checked now, not after the whole training run.
        requirePositive("--eval-max-new-tokens", evalMaxNewTokens);
        requirePositive("--eval-max-batch", evalMaxBatch);
        if (evalTrees != null) {
            evalTrees.forEach(this::checkEvalTree);
        }
    }

    private static void requirePositive(String option, int value) {
        if (value < 1) {
            throw new UsageException(option + " " + value + ": expected 1 or more");
        }
    }

    /**
     * Heads or batches whose training state outgrows the heap, or a batch whose logits outgrow one array, would fail
     * only after the data generation.
     */
    private void requireHeapFor(ModelConfig config) {
        int hidden = config.hiddenSize();
        int vocab = config.vocabSize();
        String options = "--heads " + heads + " --layers " + layers + " --batch-size " + batchSize;
        if ((long) batchSize * Math.max(hidden, vocab) > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(options + ": a batch's logits (" + batchSize + " rows of vocabulary "
                    + vocab + ") do not fit in one array (or the heap); give a smaller --batch-size");
        }
        double bytes = HeadModel.trainingBytes(heads, layers, hidden, vocab, sharedProjection, tokenInput,
                batchSize);
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: training holds at least %.0f MB"
                    + " (weights, transposes, gradients, optimizer moments and a batch's logits for hidden size %d"
                    + " and vocabulary %d), more than the heap's %d MB (-Xmx); train fewer heads or layers, or"
                    + " smaller batches", options, bytes / (1 << 20), hidden, vocab, heap >> 20));
        }
    }

    /** Refuses NaN, infinities and values below 0 (or at 0, unless {@code zeroAllowed}). */
    private static void requireFinite(String option, double value, boolean zeroAllowed) {
        if (!(Double.isFinite(value) && (value > 0 || zeroAllowed && value == 0))) {
            throw new UsageException(option + " " + value + ": expected a finite number "
                    + (zeroAllowed ? ">= 0" : "> 0"));
        }
    }

    /** The heads' config.json would replace a model's: --out may not be --model, nor any model directory. */
    private void refuseModelDirectory() {
        Path config = out.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            return;
        }
        try {
            if (!new ObjectMapper().readTree(config.toFile()).has("architectures")) {
                return;
            }
        } catch (IOException e) {
            return; // not a model's config (HeadsWriter replaces it as it would its own)
        }
        throw new IllegalArgumentException("--out " + out + " holds a model: its config.json names \"architectures\""
                + " and the heads' config.json would overwrite it (--model " + model + "); give another --out");
    }

    /**
     * Parses an --eval-tree spec as decoding will, but for auto (sized from pass costs measured on the trained heads)
     * and file: (the file may be the tree.json this run designs).
     */
    private void checkEvalTree(String tree) {
        if (tree.isBlank() || tree.equals("auto") || tree.startsWith("file:")) {
            return;
        }
        try {
            TreeSpecs.parse(tree, heads, () -> null);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage().replaceFirst("^--tree ", "--eval-tree "), e);
        }
    }

    private Trainer.Settings settings() {
        int warmup = warmupSteps != null ? warmupSteps : Math.min(Math.max(1, steps / 20), steps - 1);
        return new Trainer.Settings(steps, batchSize, learningRate, warmup, weightDecay, maxGradNorm, headDecay, seed);
    }

    /**
     * Everything that decides the data and the weights; a checkpoint only resumes a run with the same values. The
     * layout is the one the model loaded with (layouts sum in different orders); the model and the prompt files count
     * by content too (the model by {@link ModelProbe}), as a directory or file replaced in place keeps its path, and
     * the evaluation prompts are dropped from the training ones.
     */
    private String fingerprint(String weightLayout, String modelProbe) {
        return String.format(Locale.ROOT, "model=%s weights=%s model_probe=%s heads=%d layers=%d"
                        + " shared_projection=%s token_input=%s prompts=%s prompts_sha256=%s eval_prompts=%s"
                        + " eval_prompts_sha256=%s"
                        + " samples=%d greedy_share=%s max_new_tokens=%d settings=%s held_out=%s",
                model.toAbsolutePath().normalize(), weightLayout, modelProbe, heads, layers, sharedProjection,
                tokenInput,
                absolute(prompts, "BOS"), sha256(prompts), absolute(evalPrompts, "held-out"), sha256(evalPrompts),
                continuations.samples, continuations.greedyShare, continuations.maxNewTokens, settings(), heldOut);
    }

    private static String absolute(Path file, String none) {
        return file == null ? none : file.toAbsolutePath().normalize().toString();
    }

    /** The SHA-256 of the file's bytes, or "none" without a file. */
    private static String sha256(Path file) {
        if (file == null) {
            return "none";
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read prompts: " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private void train(Trainer trainer, Checkpoint checkpoint, String fingerprint, PrintStream log) {
        ProgressBar bar = new ProgressBar(log, "step", steps);
        int firstStep = trainer.step();
        try {
            runSteps(trainer, checkpoint, fingerprint, bar, firstStep);
        } catch (Trainer.Diverged e) {
            throw diverged(e.getMessage(), e);
        } finally {
            bar.finish();
        }
    }

    /**
     * A last step that diverged leaves no later gradient to go non-finite: heads whose logits overflow show it as
     * their held-out loss, and are not saved.
     */
    private void requireFiniteLoss(HeadStats heldOut) {
        for (int k = 0; k < heads; k++) {
            if (!Double.isFinite(heldOut.meanLoss(k))) {
                throw diverged("after step " + steps + " of " + steps + ": head " + k + "'s held-out loss is "
                        + heldOut.meanLoss(k) + ": training diverged", null);
            }
        }
    }

    private IllegalStateException diverged(String what, Throwable cause) {
        return new IllegalStateException(what + "; no heads written (--lr " + learningRate
                + " is likely too high: try a lower one)", cause);
    }

    private void runSteps(Trainer trainer, Checkpoint checkpoint, String fingerprint, ProgressBar bar, int firstStep) {
        double[] loss = new double[heads];
        double[] top1 = new double[heads];
        trainer.run((t, stats, norm, lr) -> {
            // Exponential moving averages: one batch is too noisy to read. They start from this run's first step (a
            // resumed run's first is not step 1), not from zero.
            double alpha = t.step() == firstStep + 1 ? 1 : 0.05;
            for (int k = 0; k < heads; k++) {
                loss[k] += alpha * (stats.meanLoss(k) - loss[k]);
                top1[k] += alpha * (stats.topAccuracy(k, 1) - top1[k]);
            }
            bar.update(t.step(), String.format(Locale.ROOT, "loss %s | top1 %s | lr %.1e", join("%.2f", loss),
                    join("%.2f", top1), lr));
            if (t.step() % checkpointEvery == 0 && t.step() < steps) {
                checkpoint.saveState(t, fingerprint);
            }
        });
    }

    private static String join(String format, double[] values) {
        return Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, format, v)).collect(Collectors.joining(" "));
    }

    private static void prepareOutput(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new IllegalArgumentException(out + ": cannot create the output directory: " + e, e);
        }
        Path probe = out.resolve(".stride-write-probe");
        try {
            Files.deleteIfExists(probe);
            Files.createFile(probe);
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException(out + ": output directory is not writable: " + e, e);
        }
    }

    /** Evaluation prompts must stay unseen: drop training prompts that are also evaluation prompts. */
    private static List<String> withoutEvalPrompts(List<String> train, List<String> eval, PrintStream log) {
        if (eval == null) {
            return train;
        }
        Set<String> evalSet = Set.copyOf(eval);
        List<String> kept = train.stream().filter(p -> !evalSet.contains(p)).toList();
        if (kept.size() < train.size()) {
            log.printf("dropped %d training prompts that are evaluation prompts%n", train.size() - kept.size());
        }
        if (kept.isEmpty() && !train.isEmpty()) {
            throw new IllegalArgumentException("every training prompt is also an evaluation prompt");
        }
        return kept;
    }

    /** The distinct prompts of held-out sequences (at most 32): never trained on when the split is by prompt. */
    private static List<int[]> heldOutPrompts(Corpus corpus) {
        Set<List<Integer>> distinct = new LinkedHashSet<>();
        for (int s = 0; s < corpus.sequences().size() && distinct.size() < 32; s++) {
            if (corpus.isHeldOut(s)) {
                TokenSequence seq = corpus.sequences().get(s);
                distinct.add(Arrays.stream(seq.tokens(), 0, seq.draftStart() + 1).boxed().toList());
            }
        }
        return distinct.stream().map(p -> p.stream().mapToInt(Integer::intValue).toArray()).toList();
    }

    private List<String> trees(Path treeFile) {
        if (evalTrees != null && !evalTrees.isEmpty()) {
            return evalTrees;
        }
        return List.of("auto", "nodes:16", "chain:" + heads, "file:" + treeFile);
    }

    private void dataSection(TrainingReport report, Corpus corpus, int promptCount, int evalCount) {
        long heldOutSequences = java.util.stream.IntStream.range(0, corpus.sequences().size())
                .filter(corpus::isHeldOut).count();
        report.section("data")
                .put("prompts_file", prompts == null ? null : prompts.toString())
                .put("training_prompts", promptCount)
                .put("samples", continuations.samples)
                .put("greedy_share", continuations.greedyShare)
                .put("max_new_tokens", continuations.maxNewTokens)
                .put("generation", "greedy (after a 1-8 token sampled lead-in when the prompt repeats) or sampled at"
                        + " temperature 0.7-1.0; end-of-sequence ignored; engine max batch 16")
                .put("sequences", corpus.sequences().size())
                .put("tokens", corpus.totalTokens())
                .put("train_positions", corpus.trainPositions().length)
                .put("held_out_positions", corpus.heldOutPositions().length)
                .put("held_out_sequences", heldOutSequences)
                .put("eval_prompts_file", evalPrompts == null ? null : evalPrompts.toString())
                .put("eval_prompts", evalCount);
    }

    private void trainingSection(TrainingReport report, int threadCount, int firstStep, Trainer trainer) {
        Trainer.Settings s = trainer.settings();
        report.section("training")
                .put("steps", s.steps())
                .put("resumed_from_step", firstStep)
                .put("batch_size", s.batchSize())
                .put("learning_rate", s.learningRate())
                .put("warmup_steps", s.warmupSteps())
                .put("schedule", "linear warm-up, cosine decay to 10% of the peak")
                .put("optimizer", "AdamW(beta1 0.9, beta2 0.999, eps 1e-8), weight decay on the residual blocks'"
                        + " matrices")
                .put("weight_decay", s.weightDecay())
                .put("max_grad_norm", s.maxGradNorm())
                .put("head_decay", s.headDecay())
                .put("seed", s.seed())
                .put("threads", threadCount)
                .put("init", "residual blocks zero, projections copied from the base lm_head");
    }

    private static void printHeldOut(PrintStream log, Trainer.Evaluation evaluation) {
        HeadStats stats = evaluation.stats();
        for (int k = 0; k < stats.heads(); k++) {
            log.printf(Locale.ROOT, "held-out head %d (t+%d): top-1 %.3f  top-5 %.3f  loss %.3f%n", k, k + 2,
                    stats.topAccuracy(k, 1), stats.topAccuracy(k, 5), stats.meanLoss(k));
        }
        log.printf(Locale.ROOT, "held-out expected tokens/pass (chain, independent heads): %.3f; joint chain: %.3f%n",
                evaluation.independentChainTokensPerPass(), 1 + evaluation.meanChainDepth());
    }

    private static void printMeasured(PrintStream log, EngineMeasurement.Result result) {
        log.printf(Locale.ROOT, "engine, %d prompts, greedy, max %d new tokens, max batch %d:%n", result.prompts(),
                result.maxNewTokens(), result.maxBatch());
        for (EngineMeasurement.TreeResult t : result.trees()) {
            log.printf(Locale.ROOT, "  tree %-12s tokens/pass %.3f  nodes/pass %.1f  %s  %.2fx plain speed%n", t.tree(),
                    t.tokensPerPass(), t.meanTreeNodes(), t.identical() ? "identical to plain" : "DIFFERS FROM PLAIN",
                    result.plainSeconds() / t.seconds());
        }
    }

    private String commandLine() {
        // The whole command line: the parse result keeps every argument, the subcommand's name included.
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        return "stride " + args.stream()
                .map(a -> a.isEmpty() || a.matches(".*[\\s'\"$].*") ? "'" + a.replace("'", "'\\''") + "'" : a)
                .collect(Collectors.joining(" "));
    }

    private static void deleteCheckpoint(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(dir);
    }
}
