package dev.stride.decoder.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.safetensors.TensorStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything a resumed run needs to continue exactly: the generated sequences (so data generation is not redone)
 * and the trainer state (weights, AdamW moments, step, random state) with a fingerprint of the settings that
 * produced them. Files are replaced atomically, so a run killed mid-write leaves the previous checkpoint intact.
 */
public final class Checkpoint {

    static final String STATE_FILE = "state.safetensors";
    static final String SEQUENCES_FILE = "sequences.json";

    private final Path dir;

    public Checkpoint(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public boolean hasSequences() {
        return Files.isRegularFile(dir.resolve(SEQUENCES_FILE));
    }

    public boolean hasState() {
        return Files.isRegularFile(dir.resolve(STATE_FILE));
    }

    public void saveSequences(List<TokenSequence> sequences, String fingerprint) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("fingerprint", fingerprint);
        ArrayNode list = root.putArray("sequences");
        for (TokenSequence s : sequences) {
            ObjectNode node = list.addObject();
            node.put("draft_start", s.draftStart());
            node.put("group", s.group());
            node.put("greedy_from", s.greedyFrom());
            ArrayNode tokens = node.putArray("tokens");
            for (int t : s.tokens()) {
                tokens.add(t);
            }
        }
        Path target = dir.resolve(SEQUENCES_FILE);
        createDirectory();
        try {
            Path temp = dir.resolve(SEQUENCES_FILE + ".tmp");
            json.writeValue(temp.toFile(), root);
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException(target + ": cannot write the checkpoint's sequences: " + e, e);
        }
    }

    private void createDirectory() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException(dir + ": cannot create the checkpoint directory: " + e, e);
        }
    }

    /** The saved sequences, checked: a damaged or hand-edited file is named, not failed on later. */
    public List<TokenSequence> loadSequences(String fingerprint, int vocabSize) {
        Path file = dir.resolve(SEQUENCES_FILE);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalStateException(file + ": cannot read the checkpoint's sequences: " + e, e);
        }
        checkFingerprint(root.path("fingerprint").asText(), fingerprint, file);
        if (!root.path("sequences").isArray() || root.path("sequences").isEmpty()) {
            throw new IllegalArgumentException(file + ": no \"sequences\" list; train into a fresh --out");
        }
        List<TokenSequence> sequences = new ArrayList<>();
        for (JsonNode node : root.path("sequences")) {
            String where = file + " sequence " + sequences.size();
            int[] tokens = new int[node.path("tokens").size()];
            for (int i = 0; i < tokens.length; i++) {
                JsonNode token = node.path("tokens").get(i);
                if (!token.isInt() || token.asInt() < 0 || token.asInt() >= vocabSize) {
                    throw new IllegalArgumentException(where + ": token " + token + " is no id of the vocabulary [0, "
                            + vocabSize + ")");
                }
                tokens[i] = token.asInt();
            }
            if (!node.path("greedy_from").isInt()) {
                throw new IllegalArgumentException(where + ": no \"greedy_from\" (a checkpoint of an older stride);"
                        + " train into a fresh --out");
            }
            try {
                sequences.add(new TokenSequence(tokens, node.path("draft_start").asInt(), node.path("group").asInt(),
                        node.path("greedy_from").asInt()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return sequences;
    }

    public void saveState(Trainer trainer, String fingerprint) {
        HeadModel model = trainer.model();
        List<String> names = model.tensorNames();
        SafetensorsWriter writer = new SafetensorsWriter();
        putAll(writer, "weights.", names, model.tensors());
        putAll(writer, "adam_m.", names, trainer.optimizer().m.tensors());
        putAll(writer, "adam_v.", names, trainer.optimizer().v.tensors());
        writer.metadata("step", Integer.toString(trainer.step()));
        writer.metadata("random_state", Long.toString(trainer.randomState()));
        writer.metadata("fingerprint", fingerprint);
        createDirectory();
        writer.write(dir.resolve(STATE_FILE));
    }

    /** Loads a saved state into a trainer built with the same settings. */
    public void restoreState(Trainer trainer, String fingerprint) {
        Path file = dir.resolve(STATE_FILE);
        try (TensorStore store = TensorStore.openFile(file)) {
            checkFingerprint(store.metadata().getOrDefault("fingerprint", ""), fingerprint, file);
            HeadModel model = trainer.model();
            List<String> names = model.tensorNames();
            readAll(store, "weights.", names, model.tensors());
            readAll(store, "adam_m.", names, trainer.optimizer().m.tensors());
            readAll(store, "adam_v.", names, trainer.optimizer().v.tensors());
            int step = (int) number(store, "step", 0, trainer.settings().steps(), file);
            trainer.restore(step, number(store, "random_state", Long.MIN_VALUE, Long.MAX_VALUE, file));
        }
    }

    /** A whole-number metadata entry of the state file, from min to max. */
    private static long number(TensorStore store, String key, long min, long max, Path file) {
        String value = store.metadata().get(key);
        try {
            long number = Long.parseLong(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below, with the file
        }
        throw new IllegalArgumentException(file + ": metadata \"" + key + "\" must be a whole number from " + min
                + " to " + max + ", got " + value + "; train into a fresh --out");
    }

    private static void putAll(SafetensorsWriter writer, String prefix, List<String> names, List<float[]> tensors) {
        for (int i = 0; i < names.size(); i++) {
            writer.putFloats(prefix + names.get(i), DType.F32, new long[] {tensors.get(i).length}, tensors.get(i));
        }
    }

    private static void readAll(TensorStore store, String prefix, List<String> names, List<float[]> tensors) {
        for (int i = 0; i < names.size(); i++) {
            float[] values = store.readFloats(store.require(prefix + names.get(i), tensors.get(i).length).name());
            System.arraycopy(values, 0, tensors.get(i), 0, values.length);
        }
    }

    private static void checkFingerprint(String found, String expected, Path file) {
        if (!found.equals(expected)) {
            throw new IllegalArgumentException(file + ": checkpoint was written with other settings ("
                    + String.join(", ", differingFields(found, expected)) + "); resume with the same command line,"
                    + " or train into a fresh --out.\n  checkpoint: " + found + "\n  this run:   " + expected);
        }
    }

    /** The names of the name=value fields that differ between two fingerprints: a changed hash is hard to spot. */
    private static List<String> differingFields(String a, String b) {
        Map<String, String> first = fields(a);
        Map<String, String> second = fields(b);
        Set<String> names = new LinkedHashSet<>(first.keySet());
        names.addAll(second.keySet());
        names.removeIf(name -> Objects.equals(first.get(name), second.get(name)));
        return List.copyOf(names);
    }

    private static Map<String, String> fields(String fingerprint) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : fingerprint.split(" (?=\\w+=)")) {
            int equals = field.indexOf('=');
            fields.put(equals < 0 ? field : field.substring(0, equals), field.substring(equals + 1));
        }
        return fields;
    }
}
