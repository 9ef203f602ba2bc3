package dev.stride.decoder.bench;

import dev.stride.decoder.compute.ComputePool;
import dev.stride.decoder.compute.VectorOps;
import dev.stride.decoder.engine.PassCostMeter;
import dev.stride.decoder.forward.KvCacheBudget;
import dev.stride.decoder.forward.Transformer;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.model.ModelWeights;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * q8 against the model's full-precision layout in one process, for the README: load time of each, then rounds that
 * measure the pass cost of both back to back (1, 2, 4 and 8 rows after a 64-token prefix), so machine noise hits
 * both alike; prints each round and the medians. Usage: {@code Q8VersusPanels MODEL_DIR [ROUNDS] [THREADS]}.
 */
public final class Q8VersusPanels {

    private static final int[] ROWS = {1, 2, 4, 8};

    private Q8VersusPanels() {
    }

    public static void main(String[] args) {
        Path modelDir = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        ModelConfig config = ModelConfig.read(modelDir);
        try (TensorStore store = TensorStore.openDirectory(modelDir); ComputePool pool = new ComputePool(threads)) {
            WeightLayout fullLayout = WeightLayout.choose(store, Runtime.getRuntime().maxMemory(), "auto");
            long t0 = System.nanoTime();
            ModelWeights full = ModelLoader.weights(config, store, fullLayout);
            long t1 = System.nanoTime();
            ModelWeights q8 = ModelLoader.weights(config, store, WeightLayout.Q8);
            long t2 = System.nanoTime();
            System.out.printf("load: %s %.2f s (%.1f MB per pass), q8 %.2f s (%.1f MB per pass): q8 / full %.2f%n",
                    fullLayout.name().toLowerCase(), (t1 - t0) / 1e9, full.bytesPerPass() / 1e6, (t2 - t1) / 1e9,
                    q8.bytesPerPass() / 1e6, (double) (t2 - t1) / (t1 - t0));
            Transformer fullT = new Transformer(config, full, new VectorOps(pool), pool);
            Transformer q8T = new Transformer(config, q8, new VectorOps(pool), pool);
            KvCacheBudget budget = new KvCacheBudget(config, 1L << 30);
            for (int warm = 0; warm < 2; warm++) { // both layouts' kernels compiled before any timing
                PassCostMeter.measure(fullT, budget, ROWS, 64, 3);
                PassCostMeter.measure(q8T, budget, ROWS, 64, 3);
            }
            double[][] fullMs = new double[ROWS.length][rounds];
            double[][] q8Ms = new double[ROWS.length][rounds];
            double[] speedup = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                PassCostCurve a = PassCostMeter.measure(fullT, budget, ROWS, 64, 5);
                PassCostCurve b = PassCostMeter.measure(q8T, budget, ROWS, 64, 5);
                for (int i = 0; i < ROWS.length; i++) {
                    fullMs[i][r] = a.cost(ROWS[i]) * 1e3;
                    q8Ms[i][r] = b.cost(ROWS[i]) * 1e3;
                }
                speedup[r] = a.cost(1) / b.cost(1);
                System.out.printf("round %d: 1 row full %.2f ms, q8 %.2f ms (%.2fx); q8 4 rows / 1 row %.2f%n", r,
                        fullMs[0][r], q8Ms[0][r], speedup[r], b.cost(4) / b.cost(1));
            }
            for (int i = 0; i < ROWS.length; i++) {
                System.out.printf("%d rows: full median %.2f ms [%.2f-%.2f], q8 median %.2f ms [%.2f-%.2f]%n", ROWS[i],
                        median(fullMs[i]), min(fullMs[i]), max(fullMs[i]), median(q8Ms[i]), min(q8Ms[i]),
                        max(q8Ms[i]));
            }
            System.out.printf("q8 speedup at 1 row: median %.2fx [%.2f-%.2f]%n", median(speedup), min(speedup),
                    max(speedup));
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
