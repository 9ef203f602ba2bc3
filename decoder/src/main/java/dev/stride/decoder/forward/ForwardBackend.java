package dev.stride.decoder.forward;

import dev.stride.decoder.model.ModelConfig;

/**
 * Where forward passes run: the CPU ({@link Transformer}) or a GPU ({@code dev.stride.decoder.cuda.CudaForward}).
 * A backend owns the memory of its KV caches, so caches come from its {@link #kvCacheBudget}. Every implementation
 * computes a row's result from its own token, position and visible keys only, never from the rest of the pass.
 */
public interface ForwardBackend extends AutoCloseable {

    ModelConfig config();

    /** Runs one pass; the output is valid until the next pass. Passes of several threads run one at a time. */
    PassOutput forward(PassBatch batch);

    /** The budget all KV caches of this backend come from: at most {@code requestedBytes}, less if memory is short. */
    KvCacheBudget kvCacheBudget(long requestedBytes);

    /** The device in words, for logs and benchmarks. */
    String device();

    @Override
    void close();
}
