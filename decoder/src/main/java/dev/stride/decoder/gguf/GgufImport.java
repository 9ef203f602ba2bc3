package dev.stride.decoder.gguf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelDirectories;
import dev.stride.decoder.model.ModelException;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.tensor.WeightLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Imports a Llama or Qwen2 GGUF file as a Hugging Face model directory, which every Stride command and the Spark
 * job read: {@code config.json} from the metadata ({@link GgufConfig}), the tensors as safetensors
 * under Hugging Face names ({@link GgufWeights}), and the tokenizer files, rebuilt from {@code tokenizer.*}
 * ({@link GgufTokenizer}) or copied from a directory the caller names.
 *
 * <p>Q8_0 tensors are written as float32, exactly: q * scale has at most 7 + 11 significant bits. Stride's own
 * Q8_0 quantizer ({@code --weights q8}) then gets the file's blocks back bit for bit wherever a block's largest |q|
 * is 127, which is what llama.cpp's quantizer writes (scale = max|w| / 127); the import counts the blocks where
 * that does not hold, and marks the shards ({@link WeightLayout#SOURCE_QUANTIZATION}) so that the default layout
 * is q8. Everything is checked before the first weight is written, and the directory is written
 * under a temporary name and renamed into place at the end, so a failed import leaves nothing behind.
 */
public final class GgufImport {

    private static final Logger LOG = Logger.getLogger(GgufImport.class.getName());

    private static final String TOKENIZER = "tokenizer.json";
    private static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    private static final String GENERATION_CONFIG = "generation_config.json";

    /** What an import wrote. */
    public record Result(ModelConfig config, Set<GgmlType> types, int shards, long bytes, long q8BlocksNotAt127) {
    }

    /** Told as each safetensors file is complete, so that a long import can show how far it is. */
    @FunctionalInterface
    public interface Progress {
        void shardWritten(String file, int written, int total);
    }

    private GgufImport() {
    }

    /**
     * Writes the model in {@code gguf} to {@code out} (absent or an empty directory), in safetensors shards of at
     * most {@code maxShardBytes} (one file if it all fits). {@code tokenizerDir}, if not null, supplies
     * tokenizer.json (and tokenizer_config.json, generation_config.json where present) instead of the metadata.
     */
    public static Result run(Path gguf, Path out, Path tokenizerDir, long maxShardBytes, Progress progress) {
        return run(gguf, out, tokenizerDir, maxShardBytes, progress, GgufWeights.WINDOW_BYTES);
    }

    /** As above, mapping at most {@code windowBytes} of a tensor's rows at a time. */
    static Result run(Path gguf, Path out, Path tokenizerDir, long maxShardBytes, Progress progress,
                      long windowBytes) {
        Path target = out.toAbsolutePath().normalize();
        boolean existing = checkOutput(target);
        try (GgufFile file = GgufFile.open(gguf)) {
            ModelConfig config = GgufConfig.of(file);
            GgufWeights weights = GgufWeights.plan(file, config, windowBytes);
            List<List<GgufWeights.Planned>> shards = weights.shards(maxShardBytes);
            Map<String, byte[]> tokenizerFiles = tokenizerFiles(file, tokenizerDir, config.vocabSize());
            Staging staging = Staging.create(target, existing);
            try {
                writeWeights(weights, shards, staging.dir(), gguf, progress);
                ObjectMapper json = new ObjectMapper();
                json.writerWithDefaultPrettyPrinter().writeValue(staging.dir().resolve("config.json").toFile(),
                        configJson(json, config, weights.dominantType()));
                for (Map.Entry<String, byte[]> entry : tokenizerFiles.entrySet()) {
                    Files.write(staging.dir().resolve(entry.getKey()), entry.getValue());
                }
                staging.publish();
                return new Result(config, weights.types(), shards.size(), weights.bytes(),
                        weights.q8BlocksNotAt127());
            } finally {
                staging.close();
            }
        } catch (IOException e) {
            throw new GgufException("cannot import into " + out + ": " + e, e);
        }
    }

    private static void writeWeights(GgufWeights weights, List<List<GgufWeights.Planned>> shards, Path dir,
                                     Path gguf, Progress progress) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("source", "gguf:" + gguf.getFileName());
        if (weights.allMatricesAre(GgmlType.Q8_0)) {
            metadata.put(WeightLayout.SOURCE_QUANTIZATION, GgmlType.Q8_0.name());
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (int s = 0; s < shards.size(); s++) {
            String name = SafetensorsWriter.shardName(s, shards.size());
            weights.write(shards.get(s), dir.resolve(name), metadata);
            shards.get(s).forEach(p -> weightMap.put(p.hfName(), name));
            progress.shardWritten(name, s + 1, shards.size());
        }
        if (shards.size() > 1) {
            SafetensorsWriter.writeIndex(dir, weights.bytes(), weightMap);
        }
    }

    /**
     * The tokenizer files, made (or read) before any weight is written: from {@code tokenizerDir} where given
     * (generation_config.json from the file's metadata if the directory has none), else rebuilt from the metadata.
     */
    private static Map<String, byte[]> tokenizerFiles(GgufFile file, Path tokenizerDir, int modelVocab)
            throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, byte[]> files = new LinkedHashMap<>();
        GgufTokenizer tokenizer = null;
        if (tokenizerDir == null) {
            tokenizer = new GgufTokenizer(file, modelVocab);
            files.put(TOKENIZER, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(tokenizer.tokenizerJson()));
            files.put(TOKENIZER_CONFIG,
                    json.writerWithDefaultPrettyPrinter().writeValueAsBytes(tokenizer.tokenizerConfig()));
        } else {
            if (!Files.isRegularFile(tokenizerDir.resolve(TOKENIZER))) {
                throw new GgufException("--tokenizer " + tokenizerDir + ": no " + TOKENIZER + " to copy");
            }
            for (String name : List.of(TOKENIZER, TOKENIZER_CONFIG, GENERATION_CONFIG)) {
                if (Files.isRegularFile(tokenizerDir.resolve(name))) {
                    files.put(name, Files.readAllBytes(tokenizerDir.resolve(name)));
                }
            }
        }
        if (!files.containsKey(GENERATION_CONFIG)) {
            files.put(GENERATION_CONFIG, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(
                    (tokenizer != null ? tokenizer : new GgufTokenizer(file, modelVocab)).generationConfig()));
        }
        return files;
    }

    /** Whether {@code out} exists (then as an empty directory, else an error); absent is fine. */
    private static boolean checkOutput(Path out) {
        try {
            return ModelDirectories.checkEmptyOrAbsent(out);
        } catch (ModelException e) {
            throw new GgufException(e.getMessage(), e);
        }
    }

    /**
     * Where the import writes until it is complete: inside {@code out} when that directory exists (so that its
     * permissions, a link to it or a mount there stay as they are), else beside it; either way on the same file
     * system, so publishing is renames only. Removed if the import fails, or if the JVM is stopped while it runs.
     */
    private static final class Staging implements AutoCloseable {

        private final Path target;
        private final Path dir;
        private final boolean inside;
        private final Thread removeOnExit;
        private boolean published;

        private Staging(Path target, Path dir, boolean inside) {
            this.target = target;
            this.dir = dir;
            this.inside = inside;
            this.removeOnExit = new Thread(() -> deleteTree(dir), "stride-import-cleanup");
            Runtime.getRuntime().addShutdownHook(removeOnExit);
        }

        static Staging create(Path target, boolean existing) throws IOException {
            String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
            if (existing) {
                Path real = target.toRealPath();
                return new Staging(real, Files.createDirectory(real.resolve("importing-" + suffix)), true);
            }
            Files.createDirectories(target.getParent());
            return new Staging(target, Files.createDirectory(
                    target.resolveSibling(target.getFileName() + ".importing-" + suffix)), false);
        }

        Path dir() {
            return dir;
        }

        void publish() throws IOException {
            if (inside) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path file : files.toList()) {
                        Files.move(file, target.resolve(file.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                Files.delete(dir);
            } else {
                Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
            }
            published = true;
        }

        @Override
        public void close() {
            if (!published) {
                deleteTree(dir);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(removeOnExit);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook deletes what is left
            }
        }
    }

    /** Best effort: a failed import reports its own error, not the cleanup's. */
    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            LOG.warning("could not remove " + dir + ": " + e);
        }
    }

    private static ObjectNode configJson(ObjectMapper json, ModelConfig c, DType dtype) {
        ObjectNode node = json.createObjectNode();
        node.putArray("architectures").add(c.architecture().hfName());
        node.put("model_type", c.architecture() == Architecture.QWEN2 ? "qwen2" : "llama");
        node.put("hidden_size", c.hiddenSize());
        node.put("intermediate_size", c.intermediateSize());
        node.put("num_hidden_layers", c.numLayers());
        node.put("num_attention_heads", c.numHeads());
        node.put("num_key_value_heads", c.numKvHeads());
        node.put("head_dim", c.headDim());
        node.put("vocab_size", c.vocabSize());
        node.put("max_position_embeddings", c.maxPositions());
        // The float32 value's shortest decimal (1e-05, not 9.999999747378752e-06): it reads back to the same float.
        node.put("rms_norm_eps", new BigDecimal(Float.toString(c.rmsNormEps())));
        node.put("rope_theta", c.ropeTheta());
        RopeScaling rope = c.ropeScaling();
        if (rope.type().equals("linear")) {
            node.putObject("rope_scaling").put("rope_type", "linear").put("factor", rope.factor());
        } else if (rope.type().equals("llama3")) {
            node.putObject("rope_scaling").put("rope_type", "llama3").put("factor", rope.factor())
                    .put("low_freq_factor", rope.lowFreqFactor()).put("high_freq_factor", rope.highFreqFactor())
                    .put("original_max_position_embeddings", rope.originalMaxPositions());
        }
        node.put("tie_word_embeddings", c.tiedEmbeddings());
        node.put("hidden_act", "silu");
        node.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return node;
    }
}
