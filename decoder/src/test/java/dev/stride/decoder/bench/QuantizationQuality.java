package dev.stride.decoder.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.Logits;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.forward.KvCache;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.PassBatch;
import dev.stride.decoder.forward.PassOutput;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * What q8 costs in quality, against the model's own full-precision layout, for the README. Greedy continuations
 * of the prompts (the model's references.jsonl, else random ids) at full precision; then, teacher-forced on them,
 * the share of positions where q8's top token is the full-precision one and the mean absolute logit difference;
 * and the perplexity of a text (documents separated by lines holding only {@code %}, as in fortune files) under
 * both. Usage: {@code QuantizationQuality MODEL_DIR [TEXT_FILE] [PROMPTS] [NEW_TOKENS] [THREADS]}.
 */
public final class QuantizationQuality {

    private QuantizationQuality() {
    }

    public static void main(String[] args) throws IOException {
        Path modelDir = Path.of(args[0]);
        Path text = args.length > 1 && !args[1].equals("-") ? Path.of(args[1]) : null;
        int promptCount = args.length > 2 ? Integer.parseInt(args[2]) : 24;
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 48;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        ModelConfig config = ModelConfig.read(modelDir);
        try (TensorStore store = TensorStore.openDirectory(modelDir); ComputePool pool = new ComputePool(threads);
             StrideTokenizer tokenizer = StrideTokenizer.load(modelDir)) {
            WeightLayout fullLayout = WeightLayout.choose(store, Runtime.getRuntime().maxMemory(), "auto");
            Transformer full = new Transformer(config, ModelLoader.weights(config, store, fullLayout),
                    new VectorOps(pool), pool);
            Transformer q8 = new Transformer(config, ModelLoader.weights(config, store, WeightLayout.Q8),
                    new VectorOps(pool), pool);
            List<int[]> prompts = prompts(modelDir, config, promptCount);
            long positions = 0;
            long sameTop = 0;
            double absError = 0;
            long identicalRows = 0;
            for (int[] prompt : prompts) {
                int[] sequence = greedy(full, prompt, newTokens);
                int[] q8Sequence = greedy(q8, prompt, newTokens);
                identicalRows += Arrays.equals(sequence, q8Sequence) ? 1 : 0;
                float[] fullLogits = logits(full, sequence);
                float[] q8Logits = logits(q8, sequence);
                int vocab = config.vocabSize();
                for (int p = prompt.length - 1; p < sequence.length - 1; p++) {
                    positions++;
                    int top = Logits.argmax(fullLogits, p * vocab, vocab);
                    sameTop += top == Logits.argmax(q8Logits, p * vocab, vocab) ? 1 : 0;
                    for (int v = 0; v < vocab; v++) {
                        absError += Math.abs(fullLogits[p * vocab + v] - q8Logits[p * vocab + v]);
                    }
                }
            }
            System.out.printf("%s: full precision = %s; %d prompts, %d greedy tokens each%n", modelDir.getFileName(),
                    fullLayout.name().toLowerCase(), prompts.size(), newTokens);
            System.out.printf("greedy rows identical under q8: %d/%d%n", identicalRows, prompts.size());
            System.out.printf("teacher-forced top-1 equal to full precision: %.2f %% of %d positions%n",
                    100.0 * sameTop / positions, positions);
            System.out.printf("mean absolute logit error: %.5f%n", absError / positions / config.vocabSize());
            if (text != null) {
                List<int[]> documents = documents(tokenizer, text, config.maxPositions());
                System.out.printf("perplexity of %s (%d documents): full %.4f, q8 %.4f%n", text.getFileName(),
                        documents.size(), perplexity(full, documents), perplexity(q8, documents));
            }
        }
    }

    private static List<int[]> prompts(Path modelDir, ModelConfig config, int count) throws IOException {
        List<int[]> prompts = new ArrayList<>();
        Path references = modelDir.resolve("references.jsonl");
        if (Files.isRegularFile(references)) {
            ObjectMapper json = new ObjectMapper();
            for (String line : Files.readAllLines(references, StandardCharsets.UTF_8)) {
                if (!line.isBlank() && prompts.size() < count) {
                    prompts.add(json.readValue(json.readTree(line).get("prompt_ids").traverse(), int[].class));
                }
            }
            return prompts;
        }
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < count; i++) {
            prompts.add(random.ints(16, 0, config.vocabSize()).toArray());
        }
        return prompts;
    }

    /** The prompt and n greedy tokens after it, one token per pass. */
    private static int[] greedy(Transformer t, int[] prompt, int n) {
        int vocab = t.config().vocabSize();
        KvCache cache = new KvCacheBudget(t.config(), 1L << 30).tryAllocate(prompt.length + n);
        int[] sequence = Arrays.copyOf(prompt, prompt.length + n);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < prompt.length; i++) {
            batch.addCausal(cache, prompt[i], i, i == prompt.length - 1);
        }
        for (int p = prompt.length; p < sequence.length; p++) {
            PassOutput out = t.forward(batch);
            sequence[p] = Logits.argmax(out.logits(), out.logitsOffset(0), vocab);
            batch.clear();
            batch.addCausal(cache, sequence[p], p, true);
        }
        return sequence;
    }

    /** Logits at every position of {@code tokens}, one prefill pass. */
    private static float[] logits(Transformer t, int[] tokens) {
        KvCache cache = new KvCacheBudget(t.config(), 1L << 30).tryAllocate(tokens.length);
        PassBatch batch = new PassBatch();
        for (int i = 0; i < tokens.length; i++) {
            batch.addCausal(cache, tokens[i], i, true);
        }
        PassOutput out = t.forward(batch);
        return Arrays.copyOf(out.logits(), tokens.length * t.config().vocabSize());
    }

    /** Fortune-file documents: BOS, the text, EOS (id 1), cut to the context length. */
    private static List<int[]> documents(StrideTokenizer tokenizer, Path text, int maxPositions) throws IOException {
        List<int[]> documents = new ArrayList<>();
        for (String document : Files.readString(text, StandardCharsets.UTF_8).split("\n%\n")) {
            if (!document.isBlank()) {
                int[] ids = tokenizer.encode(document.strip());
                int[] withEos = Arrays.copyOf(ids, Math.min(ids.length + 1, maxPositions));
                withEos[withEos.length - 1] = tokenizer.eosIds().iterator().next();
                documents.add(withEos);
            }
        }
        return documents;
    }

    /** exp of the mean negative log-likelihood of every token after the first. */
    private static double perplexity(Transformer t, List<int[]> documents) {
        int vocab = t.config().vocabSize();
        double nll = 0;
        long count = 0;
        for (int[] doc : documents) {
            float[] logits = logits(t, doc);
            for (int p = 0; p + 1 < doc.length; p++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int v = 0; v < vocab; v++) {
                    max = Math.max(max, logits[p * vocab + v]);
                }
                double sum = 0;
                for (int v = 0; v < vocab; v++) {
                    sum += Math.exp(logits[p * vocab + v] - max);
                }
                nll += max + Math.log(sum) - logits[p * vocab + doc[p + 1]];
                count++;
            }
        }
        return Math.exp(nll / count);
    }
}
