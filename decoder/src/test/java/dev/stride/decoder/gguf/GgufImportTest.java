package dev.stride.decoder.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.cli.StrideCli;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.RopeScaling;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.PackedQ8Matrix;
import dev.stride.decoder.tensor.WeightLayout;
import dev.stride.decoder.tensor.WeightMatrix;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.GgufTestWriter;
import dev.stride.decoder.testing.ModelDirs;
import dev.stride.decoder.testing.TinyModels;
import dev.stride.decoder.tokenizer.StrideTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF files made from the bundled model as llama.cpp's converter lays them out (see {@link GgufTestWriter}) import
 * back to the model they came from: the same tensors under the same names, rows un-permuted, the same shape and
 * the same tokenizer; Q8_0 files to the same 8-bit blocks under {@code --weights q8}. Bad files fail naming what is
 * wrong.
 */
class GgufImportTest {

    /** Bytes of rows mapped at a time in these imports: a few rows, so that every tensor crosses windows. */
    private static final long SMALL_WINDOW = 1000;
    private static final GgufImport.Progress NO_PROGRESS = (file, written, total) -> { };

    @TempDir
    Path dir;

    private static GgufImport.Result importGguf(Path gguf, Path out, Path tokenizerDir) {
        return GgufImport.run(gguf, out, tokenizerDir, 1L << 30, NO_PROGRESS, SMALL_WINDOW);
    }

    @Test
    void anF16FileImportsToTheModelItCameFrom() throws IOException {
        Path gguf = dir.resolve("fortunes-f16.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).write(gguf);
        Path out = dir.resolve("imported");
        assertEquals(0, StrideCli.run("import-gguf", gguf.toString(), "--out", out.toString()));

        assertEquals(ModelConfig.read(Fixtures.modelDir()), ModelConfig.read(out));
        try (Model model = ModelLoader.load(out, "auto")) {
            assertEquals(WeightLayout.PACKED_FLOAT16, model.layout(), "an F16 file loads at full precision");
        }
        try (TensorStore original = TensorStore.openDirectory(Fixtures.modelDir());
             TensorStore imported = TensorStore.openDirectory(out)) {
            assertEquals(original.names(), imported.names());
            for (String name : original.names()) {
                assertArrayEquals(original.readFloats(name), imported.readFloats(name), name);
                if (original.info(name).shape().length == 2) {
                    assertEquals(DType.F16, imported.info(name).dtype(), name + " keeps its type");
                }
            }
        }
        try (StrideTokenizer original = StrideTokenizer.load(Fixtures.modelDir());
             StrideTokenizer imported = StrideTokenizer.load(out)) {
            List<String> texts = new ArrayList<>();
            Fixtures.references().forEach(r -> texts.add(r.prompt()));
            texts.add("Ünïcødé, tabs\tand\nnew lines; 12345 digits <|eos|> and trailing space ");
            for (String text : texts) {
                int[] ids = original.encode(text);
                assertArrayEquals(ids, imported.encode(text), text);
                assertEquals(original.decode(ids), imported.decode(ids), text);
            }
            assertEquals(original.eosIds(), imported.eosIds());
            assertEquals(original.bosId(), imported.bosId());
        }
    }

    @Test
    void llamaBpeFilesGetLlama3sPreTokenizer() {
        Path gguf = dir.resolve("llama-bpe.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("tokenizer.ggml.pre", "llama-bpe").write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);
        try (StrideTokenizer gpt2Split = StrideTokenizer.load(Fixtures.modelDir());
             StrideTokenizer llama3Split = StrideTokenizer.load(out)) {
            // The vocabulary holds "1997": GPT-2's split keeps digit runs whole, Llama 3's cuts them in threes.
            assertEquals(1, gpt2Split.encodeRaw("1997").length);
            int[] threes = IntStream.concat(IntStream.of(gpt2Split.encodeRaw("199")),
                    IntStream.of(gpt2Split.encodeRaw("7"))).toArray();
            assertArrayEquals(threes, llama3Split.encodeRaw("1997"));
            String text = Fixtures.references().get(0).prompt() + " in 1997, 2024 and 123456!";
            assertEquals(text, llama3Split.decode(llama3Split.encode(text)));
        }
    }

    @Test
    void aQwen2FileKeepsItsBiasesAndRowOrderAndGetsQwen2sPreTokenizer() throws IOException {
        // A tiny random Qwen2 (q/k/v biases) wearing the bundled vocabulary.
        ModelConfig qwen2 = TinyModels.config(Architecture.QWEN2, 48, 4, 2, 2, 2048, 256, 0);
        Path model = ModelDirs.write(dir.resolve("qwen2"), qwen2, TinyModels.weights(qwen2, 5), DType.F16);
        for (String file : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(Fixtures.modelDir().resolve(file), model.resolve(file));
        }
        Path gguf = dir.resolve("qwen2.gguf");
        GgufTestWriter.fromModel(model, GgmlType.F16).put("tokenizer.ggml.pre", "qwen2").write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);

        assertEquals(qwen2, ModelConfig.read(out));
        try (TensorStore original = TensorStore.openDirectory(model);
             TensorStore imported = TensorStore.openDirectory(out)) {
            assertEquals(original.names(), imported.names());
            assertTrue(imported.contains("model.layers.1.self_attn.k_proj.bias"));
            for (String name : original.names()) {
                assertArrayEquals(original.readFloats(name), imported.readFloats(name), name);
            }
        }
        try (StrideTokenizer gpt2Split = StrideTokenizer.load(Fixtures.modelDir());
             StrideTokenizer qwen2Split = StrideTokenizer.load(out)) {
            int[] digits = IntStream.of(1, 9, 9, 7).flatMap(d -> IntStream.of(gpt2Split.encodeRaw("" + d))).toArray();
            assertArrayEquals(digits, qwen2Split.encodeRaw("1997"), "Qwen2 splits digits one by one");
            assertArrayEquals(qwen2Split.encodeRaw("caf\u00e9"), qwen2Split.encodeRaw("cafe\u0301"), "NFC first");
            assertTrue(!Arrays.equals(gpt2Split.encodeRaw("caf\u00e9"), gpt2Split.encodeRaw("cafe\u0301")));
        }
    }

    @Test
    void llama3RopeScalingIsRecoveredFromRopeFreqs() {
        ModelConfig c = ModelConfig.read(Fixtures.modelDir());
        double factor = 8, low = 1, high = 4;
        int original = 8192;
        // The divisors llama.cpp's converter stores for Llama 3.1 scaling, one per frequency.
        ByteBuffer divisors = ByteBuffer.allocate(c.headDim() / 2 * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < c.headDim() / 2; i++) {
            double wavelength = 2 * Math.PI * Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
            double smooth = (original / wavelength - low) / (high - low);
            divisors.putFloat((float) (wavelength < original / high ? 1 : wavelength > original / low ? factor
                    : 1 / ((1 - smooth) / factor + smooth)));
        }
        Path gguf = dir.resolve("llama3-rope.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16)
                .tensor("rope_freqs.weight", GgmlType.F32, new long[] {c.headDim() / 2}, divisors.array()).write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);

        RopeScaling recovered = ModelConfig.read(out).ropeScaling();
        assertEquals("llama3", recovered.type());
        assertEquals(factor, recovered.factor());
        assertEquals(low, recovered.lowFreqFactor(), "the shortest decimal that reproduces the file");
        assertEquals(high, recovered.highFreqFactor());
        double[] expected = new RopeScaling("llama3", factor, low, high, original).inverseFrequencies(c.ropeTheta(),
                c.headDim());
        double[] actual = recovered.inverseFrequencies(c.ropeTheta(), c.headDim());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], expected[i] * 1e-6, "frequency " + i);
        }
        assertTrue(expected[expected.length - 1] < RopeScaling.NONE.inverseFrequencies(c.ropeTheta(), c.headDim())[
                expected.length - 1], "the long wavelengths are scaled");
    }

    @Test
    void aRopeScalingFactorWithoutATypeIsLinearAsInLlamaCpp() {
        // llama.cpp scales linearly by rope.scaling.factor (or the old rope.scale_linear) when no type is named,
        // and not at all under the type "none".
        for (String key : List.of("llama.rope.scaling.factor", "llama.rope.scale_linear")) {
            Path gguf = dir.resolve(key + ".gguf");
            f16().put(key, 4f).write(gguf);
            Path out = dir.resolve(key);
            importGguf(gguf, out, null);
            RopeScaling scaling = ModelConfig.read(out).ropeScaling();
            assertEquals("linear", scaling.type(), key);
            assertEquals(4, scaling.factor(), key);
        }
        Path none = dir.resolve("none.gguf");
        f16().put("llama.rope.scaling.type", "none").put("llama.rope.scaling.factor", 4f).write(none);
        importGguf(none, dir.resolve("none"), null);
        assertEquals(RopeScaling.NONE.type(), ModelConfig.read(dir.resolve("none")).ropeScaling().type());
        // llama.cpp would scale by both the factor and rope_freqs: refused rather than dropping either.
        int n = ModelConfig.read(Fixtures.modelDir()).headDim() / 2;
        ByteBuffer ones = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        IntStream.range(0, n).forEach(i -> ones.putFloat(1));
        importError(f16().put("llama.rope.scaling.factor", 4f).tensor(GgufConfig.ROPE_FREQS, GgmlType.F32,
                new long[] {n}, ones.array()), "both", "'linear' with " + GgufConfig.ROPE_FREQS);
    }

    @Test
    void aQ8FileLoadsUnderQ8AsTheSameBlocksAsTheModelItCameFrom() {
        Path gguf = dir.resolve("fortunes-q8_0.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.Q8_0).write(gguf);
        Path out = dir.resolve("imported");
        GgufImport.Result result = GgufImport.run(gguf, out, null, 1_000_000, NO_PROGRESS, SMALL_WINDOW);
        assertTrue(result.types().contains(GgmlType.Q8_0));
        assertEquals(0, result.q8BlocksNotAt127());
        assertTrue(result.shards() > 1, "a 1 MB shard limit splits the model, got " + result.shards());

        try (Model original = ModelLoader.load(Fixtures.modelDir(), "q8");
             Model imported = ModelLoader.load(out, "auto")) {
            assertEquals(WeightLayout.Q8, imported.layout(), "a Q8_0 file loads as q8 unless told otherwise");
            var a = original.weights();
            var b = imported.weights();
            assertSameBlocks(a.lmHead(), b.lmHead(), "lm_head");
            for (int i = 0; i < a.layers().length; i++) {
                assertSameBlocks(a.layers()[i].qkv(), b.layers()[i].qkv(), "layer " + i + " qkv");
                assertSameBlocks(a.layers()[i].output(), b.layers()[i].output(), "layer " + i + " o");
                assertSameBlocks(a.layers()[i].gateUp(), b.layers()[i].gateUp(), "layer " + i + " gate/up");
                assertSameBlocks(a.layers()[i].down(), b.layers()[i].down(), "layer " + i + " down");
            }
        }
    }

    private static void assertSameBlocks(WeightMatrix expected, WeightMatrix actual, String what) {
        PackedQ8Matrix e = (PackedQ8Matrix) expected;
        PackedQ8Matrix a = (PackedQ8Matrix) actual;
        assertArrayEquals(e.quants(), a.quants(), what + " integers");
        assertArrayEquals(e.scales(), a.scales(), what + " scales");
    }

    @Test
    void theUnpermutationInvertsLlamaCppsRowOrder() {
        int headDim = 8;
        // llama.cpp's order for one head: HF rows 0, 4, 1, 5, 2, 6, 3, 7.
        int[] expected = {0, 2, 4, 6, 1, 3, 5, 7};
        for (int r = 0; r < 16; r++) {
            assertEquals((r / headDim) * headDim + expected[r % headDim], GgufWeights.ggufRowOf(r, headDim),
                    "row " + r);
        }
    }

    @Test
    void unsupportedTensorTypesArchitecturesAndTokenizersAreNamed() throws IOException {
        GgufTestWriter f16 = GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16);
        Path q4 = dir.resolve("q4.gguf");
        f16.tensor("blk.0.extra.weight", GgmlType.F16, new long[] {32, 2}, new byte[128]).write(q4);
        byte[] bytes = readAll(q4);
        // After the entry's name: its dimension count (4 bytes), two dimensions (16), then its type:
        // F16 (1) to Q4_0 (2).
        int entry = indexOf(bytes, "blk.0.extra.weight") + "blk.0.extra.weight".length() + 4 + 16;
        bytes[entry] = 2;
        write(q4, bytes);
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(q4));
        assertTrue(e.getMessage().contains("blk.0.extra.weight") && e.getMessage().contains("ggml type 2"),
                e.getMessage());

        Path extra = dir.resolve("extra.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16)
                .tensor("blk.0.extra.weight", GgmlType.F16, new long[] {32, 2}, new byte[128]).write(extra);
        e = assertThrows(GgufException.class, () -> importGguf(extra, dir.resolve("o1"), null));
        assertTrue(e.getMessage().contains("'blk.0.extra.weight' has no place"), e.getMessage());

        Path gpt2 = dir.resolve("gpt2.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("general.architecture", "gpt2").write(gpt2);
        e = assertThrows(GgufException.class, () -> importGguf(gpt2, dir.resolve("o2"), null));
        assertTrue(e.getMessage().contains("general.architecture 'gpt2'"), e.getMessage());

        Path spm = dir.resolve("spm.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("tokenizer.ggml.model", "llama").write(spm);
        e = assertThrows(GgufException.class, () -> importGguf(spm, dir.resolve("o3"), null));
        assertTrue(e.getMessage().contains("--tokenizer"), e.getMessage());
        for (String pre : new String[] {"default", null}) {
            Path other = dir.resolve("pre-" + pre + ".gguf");
            GgufTestWriter writer = GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16);
            (pre == null ? writer.remove("tokenizer.ggml.pre") : writer.put("tokenizer.ggml.pre", pre)).write(other);
            e = assertThrows(GgufException.class, () -> importGguf(other, dir.resolve("o5"), null));
            assertTrue(e.getMessage().contains("tokenizer.ggml.pre") && e.getMessage().contains("--tokenizer"),
                    e.getMessage());
        }
        try (Stream<Path> left = Files.list(dir)) {
            List<String> names = left.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".gguf")).toList();
            assertEquals(List.of(), names, "failed imports leave nothing behind");
        }
        importGguf(spm, dir.resolve("o4"), Fixtures.modelDir());
        assertTrue(Files.isRegularFile(dir.resolve("o4").resolve("tokenizer_config.json")), "copied");

        e = assertThrows(GgufException.class, () -> importGguf(spm, dir.resolve("o4"), Fixtures.modelDir()));
        assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    }

    @Test
    void anUntiedOutputProjectionBecomesLmHeadAndVersion2FilesRead() {
        Path gguf = dir.resolve("untied.gguf");
        GgufTestWriter writer = GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F32).version(2);
        byte[] head = new byte[2048 * 192 * Float.BYTES];
        ByteBuffer values = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 2048 * 192; i++) {
            values.putFloat((i % 97 - 48) / 256f);
        }
        writer.tensor("output.weight", GgmlType.F32, new long[] {192, 2048}, head).write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);
        assertTrue(!ModelConfig.read(out).tiedEmbeddings());
        try (TensorStore imported = TensorStore.openDirectory(out); GgufFile file = GgufFile.open(gguf)) {
            assertEquals(2, file.version());
            float[] lmHead = imported.readFloats("lm_head.weight");
            for (int i = 0; i < lmHead.length; i++) {
                assertEquals((i % 97 - 48) / 256f, lmHead[i], "lm_head element " + i);
            }
        }
    }

    @Test
    void llamaBpeAddsBosUnlessTheFileSaysNotAndEndOfTurnTokensStopGeneration() {
        Path gguf = dir.resolve("llama3-defaults.gguf");
        // No add_bos_token key; the end-of-sequence token renamed to a chat end-of-turn marker and no key naming
        // it: llama.cpp finds such tokens by their text.
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("tokenizer.ggml.pre", "llama-bpe")
                .remove("tokenizer.ggml.add_bos_token").remove("tokenizer.ggml.eos_token_id")
                .put("tokenizer.ggml.tokens", renamed(1, "<|eot_id|>")).write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);
        try (StrideTokenizer tokenizer = StrideTokenizer.load(out)) {
            assertEquals(0, tokenizer.encode("A fool")[0], "BOS by llama.cpp's default for Llama 3 vocabularies");
            assertEquals(1, tokenizer.encode("A fool").length - tokenizer.encodeRaw("A fool").length, "one BOS");
            assertEquals(Set.of(1), tokenizer.eosIds());
        }
    }

    @Test
    void everyTokenLlamaCppEndsGenerationAtByItsTextStopsGeneration() {
        // Llama 3 Instruct's files name <|eot_id|> as EOS; llama.cpp still stops at <|end_of_text|>, found by its
        // text, as transformers does (its generation_config lists both). It goes by the text whatever the type.
        List<String> tokens = new ArrayList<>(renamed(1, "<|end_of_text|>"));
        tokens.set(2, "<|im_end|>");
        Path gguf = dir.resolve("eog.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("tokenizer.ggml.pre", "llama-bpe")
                .remove("tokenizer.ggml.eos_token_id").put("tokenizer.ggml.tokens", tokens).write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);
        try (StrideTokenizer tokenizer = StrideTokenizer.load(out)) {
            assertEquals(Set.of(1, 2), tokenizer.eosIds());
        }
    }

    @Test
    void aFileThatAddsEosGetsItAfterEveryPromptAsInLlamaCpp() {
        Path gguf = dir.resolve("add-eos.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).put("tokenizer.ggml.add_eos_token", true)
                .put("tokenizer.ggml.eos_token_id", 1).write(gguf);
        Path out = dir.resolve("imported");
        importGguf(gguf, out, null);
        try (StrideTokenizer tokenizer = StrideTokenizer.load(out)) {
            int[] ids = tokenizer.encode("A fool");
            assertEquals(1, ids[ids.length - 1], "EOS last, as llama.cpp tokenizes with add_eos_token");
            assertEquals(1, ids.length - tokenizer.encodeRaw("A fool").length - (ids[0] == 0 ? 1 : 0), "one EOS");
        }
        importError(f16().put("tokenizer.ggml.add_eos_token", true).remove("tokenizer.ggml.eos_token_id"), "no-eos",
                "tokenizer.ggml.add_eos_token", "no tokenizer.ggml.eos_token_id");
    }

    /** The bundled vocabulary by id, token {@code id} spelled {@code text}. */
    private static List<String> renamed(int id, String text) {
        try {
            JsonNode vocab = new ObjectMapper().readTree(Fixtures.modelDir().resolve("tokenizer.json").toFile())
                    .path("model").path("vocab");
            String[] byId = new String[vocab.size()];
            vocab.properties().forEach(e -> byId[e.getValue().asInt()] = e.getKey());
            byId[id] = text;
            return List.of(byId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void anImportThatFailsHalfWayLeavesNothingAndOneIntoAnEmptyDirectoryKeepsIt() throws IOException {
        Path gguf = dir.resolve("model.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.Q8_0).write(gguf);
        Path out = dir.resolve("out");
        GgufImport.Progress failAfterFirst = (file, written, total) -> {
            throw new IllegalStateException("stopped after " + file);
        };
        assertThrows(IllegalStateException.class,
                () -> GgufImport.run(gguf, out, null, 1_000_000, failAfterFirst, SMALL_WINDOW));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(gguf), left.toList(), "a failed import leaves nothing behind");
        }
        IllegalArgumentException badShards = assertThrows(IllegalArgumentException.class,
                () -> GgufImport.run(gguf, out, null, 0, failAfterFirst, SMALL_WINDOW));
        assertTrue(badShards.getMessage().contains("maxShardBytes"), badShards.getMessage());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(gguf), left.toList(), "a shard size refused before anything is written");
        }

        Path existing = Files.createDirectory(dir.resolve("existing"));
        Files.setPosixFilePermissions(existing, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), existing);
        List<String> shards = new ArrayList<>();
        GgufImport.run(gguf, dir.resolve("elsewhere/../link"), null, 1_000_000,
                (file, written, total) -> shards.add(file + " " + written + "/" + total), SMALL_WINDOW);
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals("rwxr-x---", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(existing)), "the directory keeps its permissions");
        assertTrue(shards.size() > 1 && shards.get(0).equals(SafetensorsWriter.shardName(0, shards.size()) + " 1/"
                + shards.size()), shards.toString());
        try (Stream<Path> files = Files.list(existing)) {
            List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertTrue(names.contains("config.json") && names.contains("model.safetensors.index.json")
                    && names.stream().noneMatch(n -> n.startsWith("importing-")), names.toString());
        }
        try (Model model = ModelLoader.load(existing, "auto")) {
            assertEquals(WeightLayout.Q8, model.layout());
        }
    }

    @Test
    void q8BlocksWhoseLargestIntegerIsNot127AreCountedAndStillReadExactly() throws IOException {
        ModelConfig c = ModelConfig.read(Fixtures.modelDir());
        int rows = c.kvDim();
        int cols = c.hiddenSize();
        int blocks = cols / 32;
        ByteBuffer v = ByteBuffer.allocate(rows * blocks * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                // Block (0, 0) peaks at 100, block (0, 1) at -128, the rest at 127.
                int peak = r == 0 && b == 0 ? 100 : r == 0 && b == 1 ? -128 : 127;
                v.putShort(HalfFloats.f32ToF16(0.001f * (1 + (r + b) % 7)));
                for (int i = 0; i < 32; i++) {
                    v.put((byte) (i == 5 ? peak : (i * 7 + r) % 61 - 30));
                }
            }
        }
        Path gguf = dir.resolve("blocks.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.Q8_0)
                .tensor("blk.0.attn_v.weight", GgmlType.Q8_0, new long[] {cols, rows}, v.array()).write(gguf);
        Path out = dir.resolve("imported");
        GgufImport.Result result = importGguf(gguf, out, null);
        assertEquals(2, result.q8BlocksNotAt127());
        try (TensorStore imported = TensorStore.openDirectory(out)) {
            float[] values = imported.readFloats("model.layers.0.self_attn.v_proj.weight");
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < blocks; b++) {
                    float scale = HalfFloats.f16ToF32(v.getShort((r * blocks + b) * 34));
                    for (int i = 0; i < 32; i++) {
                        assertEquals(v.get((r * blocks + b) * 34 + 2 + i) * scale, values[r * cols + b * 32 + i]);
                    }
                }
            }
        }
    }

    @Test
    void damagedFilesFailNamingTheProblem() {
        Path good = dir.resolve("good.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).write(good);
        byte[] bytes = readAll(good);

        Path truncated = dir.resolve("truncated.gguf");
        write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(truncated));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("runs past the end"),
                e.getMessage());

        Path header = dir.resolve("header.gguf");
        write(header, Arrays.copyOf(bytes, 4000));
        e = assertThrows(GgufException.class, () -> GgufFile.open(header));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        Path notGguf = dir.resolve("model.safetensors.gguf");
        byte[] wrong = bytes.clone();
        wrong[0] = 'X';
        write(notGguf, wrong);
        e = assertThrows(GgufException.class, () -> GgufFile.open(notGguf));
        assertTrue(e.getMessage().contains("not a GGUF file"), e.getMessage());

        Path bigEndian = dir.resolve("big-endian.gguf");
        byte[] swapped = bytes.clone();
        swapped[4] = 0;
        swapped[7] = 3;
        write(bigEndian, swapped);
        e = assertThrows(GgufException.class, () -> GgufFile.open(bigEndian));
        assertTrue(e.getMessage().contains("big-endian"), e.getMessage());

        // 2^61 - 1 float32s take 2^63 - 4 bytes, and this file ends 7 bytes short of its data section: the
        // bounds check's subtraction overflowed to a large positive room, and the tensor was taken as inside.
        Path huge = dir.resolve("huge.gguf");
        new GgufTestWriter().tensor("t", GgmlType.F32, new long[] {(1L << 61) - 1}, new byte[0]).write(huge);
        write(huge, Arrays.copyOf(readAll(huge), 24 + 33)); // the header and the one tensor entry, no padding
        e = assertThrows(GgufException.class, () -> GgufFile.open(huge).close());
        assertTrue(e.getMessage().contains(huge.toString()) && e.getMessage().contains("tensor 't'")
                && e.getMessage().contains("runs past the end"), e.getMessage());

        Path noKey = dir.resolve("nokey.gguf");
        GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16).remove("llama.block_count").write(noKey);
        e = assertThrows(GgufException.class, () -> importGguf(noKey, dir.resolve("o"), null));
        assertTrue(e.getMessage().contains("missing metadata 'llama.block_count'"), e.getMessage());
    }

    @Test
    void keysLlamaCppRequiresAreRequiredRatherThanGuessed() {
        // No default fits every model (Qwen2's epsilon is 1e-6, Llama 2's 1e-5): llama.cpp refuses such files.
        for (String key : List.of("llama.attention.layer_norm_rms_epsilon", "llama.context_length")) {
            importError(f16().remove(key), key, "missing metadata '" + key + "'");
        }
        assertNothingLeft();
    }

    @Test
    void nonFiniteOrNonPositiveNumbersFailNamingTheFileAndKey() {
        String eps = "llama.attention.layer_norm_rms_epsilon";
        for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NaN, 0, -1e-5f}) {
            importError(f16().put(eps, bad), "eps", eps, Float.toString(bad));
        }
        importError(f16().put("llama.rope.freq_base", Float.POSITIVE_INFINITY), "theta", "llama.rope.freq_base",
                "Infinity");
        String factor = "llama.rope.scaling.factor";
        for (float bad : new float[] {0, -2, Float.NaN, Float.POSITIVE_INFINITY}) {
            // Refused at import: the model directory it would write cannot load.
            importError(f16().put("llama.rope.scaling.type", "linear").put(factor, bad), "factor", factor,
                    Float.toString(bad));
        }
        assertNothingLeft();
    }

    @Test
    void ropeFreqsThatAreNotPositiveFiniteDivisorsFailNamingTheTensor() {
        int n = ModelConfig.read(Fixtures.modelDir()).headDim() / 2;
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 0, -1}) {
            ByteBuffer divisors = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                divisors.putFloat(i == n - 1 ? bad : 1 + i);
            }
            importError(f16().tensor(GgufConfig.ROPE_FREQS, GgmlType.F32, new long[] {n}, divisors.array()),
                    "freqs", GgufConfig.ROPE_FREQS + "[" + (n - 1) + "] = " + bad);
        }
        assertNothingLeft();
    }

    @Test
    void aQ8BlockWhoseScaleIsNotFiniteFailsNamingTensorRowAndBlock() {
        ModelConfig c = ModelConfig.read(Fixtures.modelDir());
        int blocks = c.hiddenSize() / 32;
        for (short scale : new short[] {0x7C00, 0x7E00}) { // float16 infinity and NaN
            ByteBuffer data = ByteBuffer.allocate(c.kvDim() * blocks * 34).order(ByteOrder.LITTLE_ENDIAN);
            data.putShort((3 * blocks + 1) * 34, scale);
            GgufTestWriter q8 = GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.Q8_0)
                    .tensor("blk.0.attn_v.weight", GgmlType.Q8_0, new long[] {c.hiddenSize(), c.kvDim()}, data.array());
            importError(q8, "scale" + scale, "'blk.0.attn_v.weight' row 3 block 1",
                    Float.toString(HalfFloats.f16ToF32(scale)));
        }
        assertNothingLeft();
    }

    @Test
    void shapesTheModelConfigRefusesNameTheFile() {
        // The bundled model has 6 heads: 4 key/value heads do not divide them.
        importError(f16().put("llama.attention.head_count_kv", 4), "kv", "num_attention_heads (6)",
                "num_key_value_heads (4)");
        assertNothingLeft();
    }

    private static GgufTestWriter f16() {
        return GgufTestWriter.fromModel(Fixtures.modelDir(), GgmlType.F16);
    }

    /** Writes {@code writer} as {@code name}.gguf, whose import must fail naming the file and each mention. */
    private GgufException importError(GgufTestWriter writer, String name, String... mentions) {
        Path gguf = dir.resolve(name + ".gguf");
        writer.write(gguf);
        GgufException e = assertThrows(GgufException.class, () -> importGguf(gguf, dir.resolve(name), null));
        assertTrue(e.getMessage().contains(gguf.toString()), "message should name " + gguf + ": " + e.getMessage());
        for (String mention : mentions) {
            assertTrue(e.getMessage().contains(mention), "message should mention " + mention + ": " + e.getMessage());
        }
        return e;
    }

    private void assertNothingLeft() {
        try (Stream<Path> left = Files.list(dir)) {
            List<String> names = left.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".gguf")).toList();
            assertEquals(List.of(), names, "failed imports leave nothing behind");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(needle + " not found");
    }

    private static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
