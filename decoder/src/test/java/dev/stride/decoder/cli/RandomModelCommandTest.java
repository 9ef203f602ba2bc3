package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.BatchDecoder;
import dev.stride.decoder.engine.DecoderOptions;
import dev.stride.decoder.engine.DecodingMode;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.engine.FinishReason;
import dev.stride.decoder.engine.GenerationRequest;
import dev.stride.decoder.engine.GenerationResult;
import dev.stride.decoder.engine.SamplingParams;
import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stride random-model}: a model directory every other command can open. */
class RandomModelCommandTest {

    @TempDir
    Path tmp;

    private static int quietly(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            return StrideCli.run(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void tinyShapeLoadsAndGenerates() throws IOException {
        Path dir = tmp.resolve("tiny");
        assertEquals(0, quietly("random-model", "--out", dir.toString(), "--shape", "tiny", "--seed", "3"));
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("tokenizer.json")));

        try (Engine engine = Engine.load(new EngineOptions(dir, null, 2, "cpu", 64L << 20))) {
            ModelConfig c = engine.model().config();
            assertEquals(Architecture.LLAMA, c.architecture());
            assertEquals(256, c.hiddenSize());
            assertEquals(4, c.numLayers());
            assertEquals(4096, c.vocabSize());
            assertTrue(c.tiedEmbeddings());
            assertEquals("BF16", engine.weightDtype());
            assertEquals(Set.of(1), engine.tokenizer().eosIds());

            // The word-level tokenizer: "w123" is token 123, and back.
            assertArrayEquals(new int[] {5, 17, 300}, engine.tokenizer().encode("w5 w17 w300"));
            assertEquals("w5 w17 w300", engine.tokenizer().decode(new int[] {5, 17, 300}));

            GenerationRequest greedy = new GenerationRequest("g", new int[] {0, 5, 17, 300}, 6,
                    SamplingParams.GREEDY, List.of(), true);
            GenerationRequest sampled = new GenerationRequest("s", new int[] {0, 9}, 6,
                    new SamplingParams(1f, 0, 1f, 11), List.of(), true);
            GenerationResult first;
            try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(DecodingMode.AR, "auto", 4))) {
                decoder.submit(greedy);
                decoder.submit(sampled);
                List<GenerationResult> results = decoder.runToCompletion();
                assertEquals(2, results.size());
                first = results.stream().filter(r -> r.id().equals("g")).findFirst().orElseThrow();
                for (GenerationResult r : results) {
                    assertTrue(r.ok(), r.error());
                    assertEquals(6, r.completionTokens());
                    assertEquals(FinishReason.LENGTH, r.finishReason());
                    for (int id : r.completionIds()) {
                        assertTrue(id >= 0 && id < 4096, "token " + id);
                    }
                }
            }
            try (BatchDecoder decoder = engine.newDecoder(new DecoderOptions(DecodingMode.AR, "auto", 1))) {
                decoder.submit(greedy);
                assertArrayEquals(first.completionIds(), decoder.runToCompletion().get(0).completionIds(),
                        "greedy decoding is reproducible");
            }
        }

        // And the generate command runs on it with a text prompt.
        Path out = tmp.resolve("out.jsonl");
        assertEquals(0, quietly("generate", "--model", dir.toString(), "--prompt", "w5 w17 w300", "--output",
                out.toString(), "--max-new-tokens", "4", "--threads", "2"));
        JsonNode row = new ObjectMapper().readTree(Files.readString(out));
        assertTrue(row.get("error").isNull(), row.toString());
        assertEquals(3, row.get("prompt_tokens").intValue());
        assertFalse(row.get("finish_reason").isNull());
    }

    @Test
    void otherDtypesAndBadArguments() throws IOException {
        Path f32 = tmp.resolve("f32");
        assertEquals(0, quietly("random-model", "--out", f32.toString(), "--shape", "TINY", "--dtype", "f32"));
        try (Engine engine = Engine.load(new EngineOptions(f32, null, 1, "cpu", 16L << 20))) {
            assertEquals("F32", engine.weightDtype());
        }
        assertEquals(2, quietly("random-model", "--out", tmp.resolve("x").toString(), "--shape", "70b"));
        assertEquals(2, quietly("random-model", "--out", tmp.resolve("y").toString(), "--shape", "tiny", "--dtype",
                "int8"));
        assertEquals(2, quietly("random-model", "--shape", "tiny"), "--out is required");
    }

    /** A model directory is written whole into an empty or absent --out: nothing there is overwritten or kept. */
    @Test
    void nonEmptyOutputDirectoryIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(dir.resolve("model-00001-of-00002.safetensors"), "stale");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, StrideCli.run("random-model", "--out", dir.toString(), "--shape", "tiny"));
        } finally {
            System.setErr(originalErr);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(dir + ": output directory is not empty"),
                err.toString());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("model-00001-of-00002.safetensors")), files.toList());
        }
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(0, quietly("random-model", "--out", empty.toString(), "--shape", "tiny"));
        assertTrue(Files.isRegularFile(empty.resolve("config.json")));
    }
}
