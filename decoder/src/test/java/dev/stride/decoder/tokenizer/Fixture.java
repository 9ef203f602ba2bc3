package dev.stride.decoder.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/** The fortunes-llama-2m model directory that surefire points to, and editable copies of its tokenizer files. */
final class Fixture {

    static final ObjectMapper JSON = new ObjectMapper();

    private Fixture() {
    }

    static Path dir() {
        String dir = System.getProperty("stride.fixture.dir");
        if (dir == null) {
            throw new IllegalStateException("system property stride.fixture.dir is not set (run through Maven)");
        }
        return Path.of(dir);
    }

    /** Copies the fixture's tokenizer files (not the weights) into target and returns it. */
    static Path copyTo(Path target) {
        try {
            for (String name : new String[] {ModelFiles.TOKENIZER, ModelFiles.TOKENIZER_CONFIG,
                    ModelFiles.GENERATION_CONFIG}) {
                Files.copy(dir().resolve(name), target.resolve(name));
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites one JSON object file of a copied fixture in place. */
    static void edit(Path modelDir, String file, Consumer<ObjectNode> change) {
        try {
            Path path = modelDir.resolve(file);
            ObjectNode node = (ObjectNode) JSON.readTree(path.toFile());
            change.accept(node);
            JSON.writeValue(path.toFile(), node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
