package dev.stride.decoder.model;

import dev.stride.decoder.safetensors.TensorStore;
import dev.stride.decoder.tensor.WeightLayout;
import java.nio.file.Path;

/** A loaded model: its configuration and its weights in their layout. Closing releases the files. */
public final class Model implements AutoCloseable {

    private final Path directory;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final TensorStore store;
    private final WeightLayout layout;

    public Model(Path directory, ModelConfig config, ModelWeights weights, TensorStore store, WeightLayout layout) {
        this.directory = directory;
        this.config = config;
        this.weights = weights;
        this.store = store;
        this.layout = layout;
    }

    public Path directory() {
        return directory;
    }

    public String name() {
        Path name = directory.toAbsolutePath().normalize().getFileName();
        return name == null ? directory.toString() : name.toString();
    }

    public ModelConfig config() {
        return config;
    }

    public ModelWeights weights() {
        return weights;
    }

    /** How the weights are held: it decides the last bits of the logits (see {@link WeightLayout#PROPERTY}). */
    public WeightLayout layout() {
        return layout;
    }

    public long parameterCount() {
        return ModelLoader.parameterCount(config);
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }
}
