package dev.stride.job.infer;

import dev.stride.decoder.engine.Engine;
import dev.stride.job.config.JobConfig;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * What the summary says about the model, read on one executor at start-up. Loading it there first also fails the
 * run early, with the loader's message, when executors cannot load the model.
 *
 * @param passCostRatio time of a multi-token tree pass over a plain pass, null for plain decoding
 */
public record ModelInfo(String name, String path, long parameters, long weightBytes, String dtype,
                        String weightLayout, String headsName, String headsPath, int numHeads, int headLayers,
                        int draftTokens, Double passCostRatio)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static ModelInfo probe(JavaSparkContext spark, JobConfig config) {
        return spark.parallelize(List.of(0), 1).map(ignored -> read(config)).collect().get(0);
    }

    private static ModelInfo read(JobConfig config) {
        Engine engine = ModelRegistry.engine(config);
        var ratio = engine.passCostRatio(config.decoderOptions());
        // A model given as a Hadoop URI is reported by that URI, not by this executor's local copy.
        return new ModelInfo(engine.modelName(),
                ModelLocation.isUri(config.model()) ? config.model() : engine.modelDir().toString(), engine.parameterCount(),
                engine.weightBytes(), engine.weightDtype(), engine.weightLayout(), engine.headsName().orElse(null),
                config.heads() == null ? null : ModelLocation.isUri(config.heads()) ? config.heads()
                        : ModelLocation.resolve(config.heads()).toString(), engine.numHeads(),
                engine.headLayers(), engine.draftTokens(), ratio.isPresent() ? ratio.getAsDouble() : null);
    }
}
