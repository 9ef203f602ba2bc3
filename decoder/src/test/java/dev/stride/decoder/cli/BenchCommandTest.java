package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchCommandTest {

    /** The sweep runs every tree against plain decoding and says so row by row, identical outputs included. */
    @Test
    void sweepReportsEveryTreeWithIdenticalOutputs() throws Exception {
        String heads = Fixtures.modelDir().resolveSibling("fortunes-llama-2m-heads").toString();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        int code;
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            code = StrideCli.run("bench", "--model", Fixtures.modelDir().toString(), "--heads", heads, "--sweep",
                    "--prompts", "3", "--max-new-tokens", "8", "--repeat", "1", "--threads", "2", "--max-batch", "2");
        } finally {
            System.setOut(stdout);
        }
        String[] lines = captured.toString(StandardCharsets.UTF_8).trim().split("\n");
        assertEquals(0, code, String.join("\n", lines));
        JsonNode json = new ObjectMapper().readTree(lines[lines.length - 1]);
        List<String> trees = new ArrayList<>();
        json.get("trees").fieldNames().forEachRemaining(trees::add);
        assertEquals(List.of("chain:1", "chain:2", "chain:3", "chain:4", "chain:5", "nodes:4", "nodes:8", "nodes:16",
                "nodes:32", "static", "file:" + heads + "/tree.json", "auto"), trees);
        for (String tree : trees) {
            JsonNode row = json.get("trees").get(tree);
            assertEquals(3, row.get("identical_rows").asInt(), tree);
            assertTrue(row.get("tokens_per_s").asDouble() > 0 && row.get("speedup").asDouble() > 0, tree);
            assertTrue(row.get("tokens_per_pass").asDouble() >= 1.0, tree);
            assertTrue(lines[lines.length - 1 - trees.size() + trees.indexOf(tree)].startsWith(tree), tree);
        }
    }
}
