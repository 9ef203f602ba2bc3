package dev.stride.decoder.cuda;

import java.nio.ByteBuffer;

/**
 * The device operations the CUDA backend is built on, over raw device addresses. {@link JCudaGpu} drives a GPU
 * through the CUDA driver API; the tests also run the same kernels on a CPU emulation of CUDA. Kernel arguments are
 * {@link Long} device addresses, {@link Integer}s and {@link Float}s in parameter order. Not thread-safe: the
 * backend serializes its calls.
 */
public interface Gpu extends AutoCloseable {

    /** The device in words, e.g. "cuda:0 NVIDIA H200 (compute 9.0, driver 13.0)". */
    String describe();

    long freeMemory();

    /** Uninitialized device memory, 256-byte aligned. */
    long allocate(long bytes);

    void free(long address);

    /** Copies the remaining bytes of a direct buffer. */
    void upload(long dst, ByteBuffer src);

    void upload(long dst, float[] src, int count);

    void upload(long dst, int[] src, int count);

    void upload(long dst, long[] src, int count);

    /** Waits for every launch before it, so the values are final. */
    void download(float[] dst, long src, int count);

    void download(int[] dst, long src, int count);

    void launch(String kernel, int gridX, int gridY, int blockSize, int sharedBytes, Object... args);

    @Override
    void close();
}
