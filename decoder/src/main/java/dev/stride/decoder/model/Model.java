package dev.stride.decoder.model;

import dev.stride.decoder.safetensors.TensorStore;
import java.nio.file.Path;

/** A loaded model: its configuration and memory-mapped weights. Closing releases the files. */
public final class Model implements AutoCloseable {

    private final Path directory;
    private final ModelConfig config;
    private final ModelWeights weights;
    private final TensorStore store;

    public Model(Path directory, ModelConfig config, ModelWeights weights, TensorStore store) {
        this.directory = directory;
        this.config = config;
        this.weights = weights;
        this.store = store;
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
