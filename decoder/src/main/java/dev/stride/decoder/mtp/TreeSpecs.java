package dev.stride.decoder.mtp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Parses {@code --tree} values: {@code auto} (sized from the measured pass cost, see {@link CostAwareTree}),
 * {@code chain:K}, {@code nodes:N}, {@code static} (the built-in default tree) or {@code file:PATH} (a JSON list of
 * index paths such as {@code [[0], [1], [0, 0]]}).
 */
public final class TreeSpecs {

    /** Most nodes {@code auto} gives one sequence's tree. */
    public static final int AUTO_MAX_NODES = 64;

    /** Built-in static tree for up to four heads: wide near the root, a chain deep down. */
    private static final int[][] DEFAULT_PATHS = {
        {0}, {1}, {2}, {0, 0}, {0, 1}, {1, 0}, {0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 0},
        {0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 1, 0},
    };

    private TreeSpecs() {
    }

    /**
     * Refuses a spec no heads could make sense of: an unknown kind, a count that is not positive, a file without a
     * path. Checked wherever a tree is given, so a typo is named even by a run that decodes plainly; the heads' depth
     * and a file's contents are {@link #parse}'s to check.
     */
    public static void checkForm(String spec) {
        checkForm(spec, "--tree");
    }

    /** {@link #checkForm(String)} with the errors naming {@code option} (a job's or a DataFrame param's name). */
    public static void checkForm(String spec, String option) {
        if (spec == null || spec.isBlank() || spec.equals("auto") || spec.equals("static")) {
            return;
        }
        String given = option + " " + spec;
        switch (kind(spec)) {
            case "chain", "nodes" -> requirePositive(value(spec), given);
            case "file" -> {
                if (value(spec).isBlank()) {
                    throw new IllegalArgumentException(given + ": expected a path after 'file:'");
                }
            }
            default -> throw new IllegalArgumentException(given
                    + ": expected auto, static, chain:K, nodes:N or file:PATH");
        }
    }

    /**
     * @param costs measures the device's pass and head costs; called only for {@code auto}
     */
    public static TreeShape parse(String spec, int heads, Supplier<SpeculationCosts> costs) {
        return parse(spec, heads, costs, new DraftingRegime());
    }

    /**
     * @param costs measures the device's pass and head costs; called only for {@code auto}
     * @param regime whether {@code auto} drafts at all, measured by every decoder that shares it
     */
    public static TreeShape parse(String spec, int heads, Supplier<SpeculationCosts> costs, DraftingRegime regime) {
        if (spec == null || spec.isBlank() || spec.equals("auto")) {
            return new CostAwareTree(costs.get(), regime, heads, AUTO_MAX_NODES);
        }
        if (spec.equals("static")) {
            List<int[]> paths = new ArrayList<>();
            for (int[] path : DEFAULT_PATHS) {
                if (path.length <= heads) {
                    paths.add(path);
                }
            }
            return new StaticTree(paths, "static");
        }
        checkForm(spec); // the form's errors come from one place; heads and files are checked below
        String value = value(spec);
        return switch (kind(spec)) {
            case "chain" -> {
                int k = Integer.parseInt(value);
                if (k > heads) {
                    throw new IllegalArgumentException("--tree " + spec + ": chain longer than the " + heads
                            + " heads");
                }
                yield StaticTree.chain(k);
            }
            case "nodes" -> new DynamicTree(Integer.parseInt(value), heads);
            default -> fromFile(Path.of(value), heads); // file: the only other kind checkForm lets through
        };
    }

    /** "chain" of "chain:3"; the whole spec when it has no colon. */
    private static String kind(String spec) {
        int colon = spec.indexOf(':');
        return colon < 0 ? spec : spec.substring(0, colon);
    }

    /** "3" of "chain:3"; empty when the spec has no colon. */
    private static String value(String spec) {
        int colon = spec.indexOf(':');
        return colon < 0 ? "" : spec.substring(colon + 1);
    }

    private static TreeShape fromFile(Path file, int heads) {
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("--tree file " + file + ": cannot read JSON: " + e.getMessage(), e);
        }
        if (!json.isArray()) {
            throw new IllegalArgumentException("--tree file " + file + ": expected a JSON list of index paths");
        }
        List<int[]> paths = new ArrayList<>();
        for (JsonNode path : json) {
            if (!path.isArray()) {
                throw new IllegalArgumentException("--tree file " + file + ": each path must be a list, got " + path);
            }
            int[] ranks = new int[path.size()];
            for (int i = 0; i < ranks.length; i++) {
                if (!path.get(i).isInt()) {
                    throw new IllegalArgumentException("--tree file " + file + ": ranks must be integers, got " + path);
                }
                ranks[i] = path.get(i).asInt();
            }
            if (ranks.length > heads) {
                throw new IllegalArgumentException("--tree file " + file + ": path " + path + " is deeper than the "
                        + heads + " heads");
            }
            paths.add(ranks);
        }
        return new StaticTree(paths, "file:" + file.getFileName());
    }

    /** @param given the option and its value, as the error names them */
    private static void requirePositive(String value, String given) {
        try {
            if (Integer.parseInt(value) > 0) {
                return;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(given + ": expected a positive integer after ':'");
    }
}
