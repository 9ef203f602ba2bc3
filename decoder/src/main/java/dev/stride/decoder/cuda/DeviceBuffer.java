package dev.stride.decoder.cuda;

/**
 * Device scratch that grows to the largest size asked of it and never shrinks, like the CPU backend's activation
 * arrays. Growing drops the contents: callers refill it every pass.
 */
final class DeviceBuffer implements AutoCloseable {

    private final Gpu gpu;
    private long address;
    private long bytes;

    DeviceBuffer(Gpu gpu) {
        this.gpu = gpu;
    }

    /** The buffer's address, after making it at least {@code needed} bytes. */
    long ensure(long needed) {
        if (needed > bytes) {
            long grown = Math.max(needed, 2 * bytes);
            close();
            address = gpu.allocate(grown);
            bytes = grown;
        }
        return address;
    }

    @Override
    public void close() {
        if (bytes > 0) {
            gpu.free(address);
            bytes = 0;
        }
    }
}
