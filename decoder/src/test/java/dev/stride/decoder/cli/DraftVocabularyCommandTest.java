package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.EngineOptions;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.mtp.DraftVocabulary;
import dev.stride.decoder.mtp.HeadsWriter;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.testing.Fixtures;
import dev.stride.decoder.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stride draft-vocabulary} on the bundled model, against its PyTorch reference continuations. */
class DraftVocabularyCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int REFERENCE_TOKENS = 48; // each reference continues its prompt greedily this far

    @TempDir
    Path tmp;

    /**
     * Greedy continuations of the reference prompts, one each, are the reference's greedy tokens: the list must be
     * what {@link DraftVocabulary#of} ranks from those tokens' counts, and the heads then propose from it.
     */
    @Test
    void ranksTheModelsContinuationsOfThePromptsAndTheHeadsLoadIt() throws IOException {
        Path heads = headsDir();
        List<Fixtures.Reference> references = Fixtures.references();
        long[] counts = new long[2048];
        for (Fixtures.Reference reference : references) {
            for (int id : reference.greedyIds()) {
                counts[id]++;
            }
        }
        DraftVocabulary expected = DraftVocabulary.of(counts);

        assertEquals(0, run(heads, promptsFile(references), references.size()));

        DraftVocabulary written = DraftVocabulary.read(heads, 2048);
        assertArrayEquals(expected.ids(), written.ids());
        assertEquals(references.size() * (long) REFERENCE_TOKENS, written.countedTokens());
        assertEquals(expected.coverage(), written.coverage(), 1e-12);
        try (Engine engine = Engine.load(EngineOptions.cpu(Fixtures.modelDir(), heads))) {
            assertEquals(written.size(), engine.draftTokens(), "the heads propose from the list");
        }
    }

    @Test
    void replacesAnExistingListOnlyWithForce() throws IOException {
        Path heads = headsDir();
        List<Fixtures.Reference> references = Fixtures.references().subList(0, 4);
        Path prompts = promptsFile(references);
        Path file = heads.resolve(DraftVocabulary.FILE);
        Files.writeString(file, "stale");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, run(heads, prompts, references.size()));
        } finally {
            System.setErr(originalErr);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(file + " exists"), err.toString());
        assertEquals("stale", Files.readString(file), "left as it was");
        assertEquals(0, run(heads, prompts, references.size(), "--force"));
        assertEquals(references.size() * (long) REFERENCE_TOKENS, DraftVocabulary.read(heads, 2048).countedTokens());
    }

    /**
     * A --force run that fails leaves the earlier list in place: it was deleted before the heads loaded, so a prompt
     * too long for the context (found after loading) left the heads with no list at all.
     */
    @Test
    void aFailedForcedRunKeepsTheEarlierList() throws IOException {
        Path heads = headsDir();
        Path file = heads.resolve(DraftVocabulary.FILE);
        Files.writeString(file, "earlier");
        Path prompts = Files.writeString(tmp.resolve("long.txt"), "Life is\n" + "x ".repeat(3000) + "\n");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(1, run(heads, prompts, 2, "--force"));
        } finally {
            System.setErr(originalErr);
        }
        assertTrue(err.toString(StandardCharsets.UTF_8).contains(prompts + ": prompt 'x x x"), err.toString());
        assertEquals("earlier", Files.readString(file), "the earlier list is kept");
    }

    private int run(Path heads, Path prompts, int samples, String... more) {
        String[] args = {"draft-vocabulary", "--model", Fixtures.modelDir().toString(), "--heads", heads.toString(),
            "--prompts", prompts.toString(), "--samples", String.valueOf(samples), "--greedy-share", "1",
            "--max-new-tokens", String.valueOf(REFERENCE_TOKENS), "--threads", "2"};
        String[] all = new String[args.length + more.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return StrideCli.run(all);
    }

    /** Random heads of the bundled model, without a draft vocabulary. */
    private Path headsDir() throws IOException {
        Path dir = tmp.resolve("heads");
        try (Model model = ModelLoader.load(Fixtures.modelDir())) {
            HeadsWriter.write(TinyModels.heads(model.config(), model.weights(), 2, 1, 3), dir, "fortunes-llama-2m",
                    DType.F16);
        }
        return dir;
    }

    private Path promptsFile(List<Fixtures.Reference> references) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (Fixtures.Reference reference : references) {
            lines.append(JSON.createObjectNode().put("prompt", reference.prompt())).append('\n');
        }
        return Files.writeString(tmp.resolve("prompts.jsonl"), lines);
    }
}
