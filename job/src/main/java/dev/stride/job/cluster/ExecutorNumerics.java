package dev.stride.job.cluster;

import dev.stride.decoder.compute.JitFlags;
import dev.stride.decoder.engine.Engine;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What decided an executor's arithmetic: where its passes ran, the CPU vector width, how it held the weights and the
 * Java version; and whether its JVM lacks the JIT setting the kernels' speed needs ({@link JitFlags}). Within one
 * device kind and one weight layout, completions and log-probabilities are the same bits whatever the vector width or
 * Java version (the decoder's kernels guarantee it); across device kinds (CPU vs GPU) or weight layouts (packed vs
 * streamed) they may differ in the last bits, which the run summary warns about.
 *
 * @param device the engine's device, e.g. {@code cpu (8 threads)} or {@code cuda:0 NVIDIA H200 (...)}
 * @param vectorBits width of the CPU vectors the kernels ran with
 * @param weightLayout how the weights were held, e.g. {@code packed_float32}
 * @param javaVersion the executor JVM's {@code java.version}
 * @param trapLimitLow its JVM runs without {@value JitFlags#TRAP_LIMIT_FLAG}, so its decoding may be half speed
 */
public record ExecutorNumerics(String device, int vectorBits, String weightLayout, String javaVersion,
                               boolean trapLimitLow) implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Pattern KIND = Pattern.compile("^\\s*([A-Za-z]+)");

    /** This JVM's numerics with this engine. */
    public static ExecutorNumerics of(Engine engine) {
        return new ExecutorNumerics(engine.device(), Engine.vectorBits(), engine.weightLayout(),
                System.getProperty("java.version"), JitFlags.warning().isPresent());
    }

    /** {@code cpu} or {@code cuda}: the part of the device that decides the bits. */
    public String deviceKind() {
        Matcher matcher = KIND.matcher(device == null ? "" : device);
        return matcher.find() ? matcher.group(1).toLowerCase(Locale.ROOT) : String.valueOf(device);
    }

    /**
     * Warnings for executors whose outputs may differ in the last bits (different device kinds, or different weight
     * layouts; vector width and Java version do not change bits and are not warned about), and for executors whose
     * JVM lacks the kernels' JIT setting.
     *
     * @param byExecutor each executor's numerics (one entry per partition it ran is fine)
     */
    public static List<String> warnings(List<Map.Entry<String, ExecutorNumerics>> byExecutor) {
        List<String> warnings = new ArrayList<>();
        Map<String, Set<String>> kinds = group(byExecutor, ExecutorNumerics::deviceKind);
        if (kinds.size() > 1) {
            warnings.add("executors ran on different device kinds (" + describe(kinds) + "): CPU and GPU "
                    + "arithmetic differ, so their completions and logprobs may differ in the last bits (and, rarely, "
                    + "in a near-tie token); run every executor on one device kind (--device) for outputs that do not "
                    + "depend on placement");
        }
        Map<String, Set<String>> layouts = group(byExecutor, ExecutorNumerics::weightLayout);
        if (layouts.size() > 1) {
            warnings.add("executors held the weights in different layouts (" + describe(layouts) + "): logits may "
                    + "differ in the last bit between them (and, rarely, a near-tie token); pin one layout with "
                    + "-Dstride.weights=packed or =streamed in spark.executor.extraJavaOptions");
        }
        Set<String> slow = byExecutor.stream().filter(e -> e.getValue().trapLimitLow()).map(Map.Entry::getKey)
                .collect(Collectors.toCollection(TreeSet::new));
        if (!slow.isEmpty()) {
            warnings.add(executors(slow) + " ran without "
                    + JitFlags.TRAP_LIMIT_FLAG + " (see cluster-config/spark-defaults.conf): their vector kernels may "
                    + "have decoded at half speed; add it to spark.executor.extraJavaOptions");
        }
        return warnings;
    }

    private static Map<String, Set<String>> group(List<Map.Entry<String, ExecutorNumerics>> byExecutor,
                                                  Function<ExecutorNumerics, String> key) {
        Map<String, Set<String>> groups = new TreeMap<>();
        byExecutor.forEach(e -> groups.computeIfAbsent(key.apply(e.getValue()), k -> new TreeSet<>())
                .add(e.getKey()));
        return groups;
    }

    // "cpu on executors 1, 2; cuda on executor 3"
    private static String describe(Map<String, Set<String>> groups) {
        List<String> parts = new ArrayList<>();
        groups.forEach((value, ids) -> parts.add(value + " on " + executors(ids)));
        return String.join("; ", parts);
    }

    // "executor 3", "executors 1, 2"
    private static String executors(Set<String> ids) {
        return "executor" + (ids.size() > 1 ? "s " : " ") + String.join(", ", ids);
    }
}
