package dev.stride.decoder.bench;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Two builds of the decoder decoding the demo in one process, rounds alternating (A B, then B A), so that a slow
 * spell of a shared machine hits both: the "jar against jar" ratios of the benchmark log. Each build is a directory
 * holding its {@code stride-decoder.jar} and the {@code lib/} beside it (a copy of {@code decoder/target}); each gets
 * its own class loader, and the libraries one shared loader (a native library loads once per process): the first
 * build's, so builds whose dependencies differ cannot be compared this way. Prints, per tree, both builds' median
 * tokens per second, the median of the per-round ratios B / A with its quartiles, and whether both builds produced
 * the same completions. This class must not touch the decoder's classes: it runs on a class path without them
 * ({@code scripts/builds-ab.sh}).
 * <p>
 * Usage: {@code BuildsSideBySide DIR_A DIR_B [ROUNDS] [BATCH] [TREES] [THREADS]}, trees comma-separated
 * ({@code plain} for plain decoding), defaults 21 rounds, batch 1, {@code plain,chain:2,auto}, 2 threads.
 */
public final class BuildsSideBySide {

    private static final String MODEL = "models/fortunes-llama-2m";
    private static final String HEADS = "models/fortunes-llama-2m-heads";
    private static final int WARM_ROUNDS = 3;
    /** By name: a class literal would load it here, beside none of the decoder's classes. */
    private static final String RUNNER = "dev.stride.decoder.bench.BuildRounds";

    /** One round of one tree on one build: its tokens per second (a Double) and its completions' digest. */
    private interface Round extends Supplier<List<Object>> {
    }

    private BuildsSideBySide() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: BuildsSideBySide DIR_A DIR_B [ROUNDS] [BATCH] [TREES] [THREADS]");
            System.exit(2);
        }
        Path[] builds = {Path.of(args[0]), Path.of(args[1])};
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 21;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        String[] trees = (args.length > 4 ? args[4] : "plain,chain:2,auto").split(",");
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 2;

        ClassLoader libraries = new URLClassLoader(urls(jarsIn(builds[0].resolve("lib"))),
                ClassLoader.getPlatformClassLoader());
        Round[][] runs = new Round[2][];
        for (int b = 0; b < 2; b++) {
            runs[b] = roundsOf(builds[b], libraries, trees, batch, threads);
        }
        double[][][] tokensPerSecond = new double[trees.length][2][rounds];
        String[][] digests = new String[trees.length][2];
        for (int round = -WARM_ROUNDS; round < rounds; round++) {
            for (int t = 0; t < trees.length; t++) {
                for (int k = 0; k < 2; k++) {
                    int b = Math.floorMod(round, 2) == 0 ? k : 1 - k; // A B, then B A
                    List<Object> result = runs[b][t].get();
                    if (round >= 0) {
                        tokensPerSecond[t][b][round] = (Double) result.get(0);
                    }
                    digests[t][b] = (String) result.get(1);
                }
            }
        }
        System.out.printf("A %s, B %s: %d rounds, batch %d, %d threads%n", builds[0], builds[1], rounds, batch,
                threads);
        System.out.printf("%-10s %12s %12s %10s %16s %10s%n", "tree", "A tokens/s", "B tokens/s", "B / A",
                "quartiles", "same ids");
        for (int t = 0; t < trees.length; t++) {
            report(trees[t], tokensPerSecond[t][0], tokensPerSecond[t][1], digests[t][0].equals(digests[t][1]));
        }
    }

    /** The rounds of every tree on {@code build}, in a class loader of its own over {@code libraries}. */
    private static Round[] roundsOf(Path build, ClassLoader libraries, String[] trees, int batch, int threads)
            throws Exception {
        Path jar = build.resolve("stride-decoder.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(build + ": no stride-decoder.jar (copy decoder/target's jar and lib/"
                    + " there)");
        }
        URL runner = BuildsSideBySide.class.getProtectionDomain().getCodeSource().getLocation();
        ClassLoader loader = new URLClassLoader(new URL[] {runner, jar.toUri().toURL()}, libraries);
        Thread.currentThread().setContextClassLoader(loader); // the tokenizer library finds its files through it
        Method rounds = loader.loadClass(RUNNER)
                .getMethod("rounds", String.class, String.class, String.class, int.class, int.class);
        Round[] byTree = new Round[trees.length];
        for (int t = 0; t < trees.length; t++) {
            @SuppressWarnings("unchecked")
            Supplier<List<Object>> run = (Supplier<List<Object>>) rounds.invoke(null, MODEL, HEADS, trees[t], batch,
                    threads);
            byTree[t] = run::get;
        }
        return byTree;
    }

    /** One tree's line: both builds' median rates, the median ratio B / A over rounds and its quartiles. */
    private static void report(String tree, double[] a, double[] b, boolean sameIds) {
        double[] ratios = new double[a.length];
        for (int r = 0; r < a.length; r++) {
            ratios[r] = b[r] / a[r];
        }
        double[] sorted = sorted(ratios);
        int n = sorted.length;
        System.out.printf("%-10s %12.0f %12.0f %9.3fx %7.3f-%.3f %10s%n", tree, sorted(a)[n / 2], sorted(b)[n / 2],
                sorted[n / 2], sorted[n / 4], sorted[(3 * n) / 4], sameIds ? "yes" : "NO");
    }

    private static double[] sorted(double[] values) {
        double[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    private static List<Path> jarsIn(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    private static URL[] urls(List<Path> paths) throws Exception {
        URL[] urls = new URL[paths.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = paths.get(i).toUri().toURL();
        }
        return urls;
    }
}
