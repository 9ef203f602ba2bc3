package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;

/**
 * Where forward passes run: the CPU ({@link Transformer}) or a GPU ({@code dev.stride.decoder.cuda.CudaForward}).
 * A backend owns the memory of its KV caches, so caches come from its {@link #kvCacheBudget}. Every implementation
 * computes a row's result from its own token, position and visible keys only, never from the rest of the pass.
 */
public interface ForwardBackend extends AutoCloseable {

    ModelConfig config();

    /** A result holder sized for this model, for {@link #forward(PassBatch, PassOutput)}. */
    default PassOutput newOutput() {
        return new PassOutput(config().hiddenSize(), config().vocabSize());
    }

    /**
     * Runs one pass into the caller's holder, so results stay valid after another thread's pass. Passes of threads
     * sharing a backend run one at a time.
     */
    void forward(PassBatch batch, PassOutput out);

    /** Runs one pass into a fresh result holder (tests and one-off measurements). */
    default PassOutput forward(PassBatch batch) {
        PassOutput out = newOutput();
        forward(batch, out);
        return out;
    }

    /** The budget all KV caches of this backend come from: at most {@code requestedBytes}, less if memory is short. */
    KvCacheBudget kvCacheBudget(long requestedBytes);

    /** The device in words, for logs and benchmarks. */
    String device();

    @Override
    void close();
}
