package dev.stride.job.infer;

import dev.stride.decoder.engine.Engine;
import dev.stride.decoder.engine.PassLedger;
import dev.stride.decoder.mtp.PassCostCurve;
import dev.stride.job.config.JobConfig;
import java.io.Serializable;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * What the summary says about the model, read on one executor at start-up. Loading it there first also fails the
 * run early, with the loader's message, when executors cannot load the model.
 *
 * @param passCostRows row counts the engine timed passes at ({@link PassCostCurve#rows}); null for plain decoding
 * @param passCostSeconds its pass times for those rows ({@link PassCostCurve#seconds})
 */
public record ModelInfo(String name, String path, long parameters, long weightBytes, String dtype,
                        String weightLayout, String headsName, String headsPath, int numHeads, int headLayers,
                        int draftTokens, int[] passCostRows, double[] passCostSeconds)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static ModelInfo probe(JavaSparkContext spark, JobConfig config) {
        return spark.parallelize(List.of(0), 1).map(ignored -> read(config)).collect().get(0);
    }

    private static ModelInfo read(JobConfig config) {
        try (ModelRegistry.Lease lease = ModelRegistry.lease(config)) {
            return read(config, lease.engine());
        }
    }

    private static ModelInfo read(JobConfig config, Engine engine) {
        Optional<PassCostCurve> curve = engine.passCostCurve(config.decoderOptions());
        // A model given as a Hadoop URI is reported by that URI, not by this executor's local copy.
        return new ModelInfo(engine.modelName(),
                ModelLocation.isUri(config.model()) ? config.model() : engine.modelDir().toString(), engine.parameterCount(),
                engine.weightBytes(), engine.weightDtype(), engine.weightLayout(), engine.headsName().orElse(null),
                config.heads() == null ? null : ModelLocation.isUri(config.heads()) ? config.heads()
                        : ModelLocation.resolve(config.heads()).toString(), engine.numHeads(),
                engine.headLayers(), engine.draftTokens(), curve.map(PassCostCurve::rows).orElse(null),
                curve.map(PassCostCurve::seconds).orElse(null));
    }

    /**
     * The summary's pass_cost_ratio: what a decode pass of the run cost over a plain pass of the same sequences, set
     * so that the report's cost x mean_tokens_per_pass / pass_cost_ratio is what plain decoding would have cost
     * ({@link PassLedger#costOverPlain}). From the passes the run made, not its tree's largest: an {@code auto} run
     * that decoded plainly was priced as if each pass had carried 16 rows, and one at batch 8 as if a plain pass
     * carried one. Null for plain decoding and for a run without decode passes.
     */
    public Double passCostRatio(PassLedger passes, double meanTokensPerPass) {
        if (passCostRows == null || passes.isEmpty() || !(meanTokensPerPass > 0)) {
            return null;
        }
        return meanTokensPerPass * passes.costOverPlain(new PassCostCurve(passCostRows, passCostSeconds));
    }
}
