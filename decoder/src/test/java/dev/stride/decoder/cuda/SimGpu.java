package dev.stride.decoder.cuda;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@link Gpu} that runs the real kernel sources on the CPU emulator of src/test/cuda (built by Maven into
 * target/cuda-sim when a C++ compiler is present). It checks each launch's parameter kinds against the kernel's
 * signature and every allocation's guard bands after each launch. One emulator per JVM: instances share its state.
 */
public final class SimGpu implements Gpu {

    public static final String LIBRARY_PROPERTY = "stride.cuda.sim";
    private static final long MEMORY = 4L << 30;
    private static String unavailable;

    static {
        String library = System.getProperty(LIBRARY_PROPERTY);
        if (library == null || !Files.isRegularFile(Path.of(library))) {
            unavailable = "no CUDA emulator library (" + LIBRARY_PROPERTY + "=" + library
                    + "; it needs a C++ compiler at build time)";
        } else {
            System.load(Path.of(library).toAbsolutePath().toString());
        }
    }

    /** Why the emulator cannot run here, or null when it can. */
    public static String unavailableReason() {
        return unavailable;
    }

    /** Bytes allocated and not yet freed, over all instances. */
    public static long allocatedBytes() {
        return allocatedBytes0();
    }

    @Override
    public String describe() {
        return "cuda-sim (CPU emulation)";
    }

    @Override
    public long freeMemory() {
        return MEMORY - allocatedBytes();
    }

    @Override
    public long allocate(long bytes) {
        return allocate0(bytes);
    }

    @Override
    public void free(long address) {
        free0(address);
    }

    @Override
    public void upload(long dst, ByteBuffer src) {
        copyFromBuffer0(dst, src, src.position(), src.remaining());
    }

    @Override
    public void upload(long dst, float[] src, int count) {
        copyFromArray0(dst, src, 4L * count);
    }

    @Override
    public void upload(long dst, int[] src, int count) {
        copyFromArray0(dst, src, 4L * count);
    }

    @Override
    public void upload(long dst, long[] src, int count) {
        copyFromArray0(dst, src, 8L * count);
    }

    @Override
    public void download(float[] dst, long src, int count) {
        copyToArray0(dst, src, 4L * count);
    }

    @Override
    public void download(int[] dst, long src, int count) {
        copyToArray0(dst, src, 4L * count);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockSize, int sharedBytes, Object... args) {
        long[] values = new long[args.length];
        StringBuilder kinds = new StringBuilder();
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Long address) {
                values[i] = address;
                kinds.append('p');
            } else if (args[i] instanceof Integer value) {
                values[i] = value;
                kinds.append('i');
            } else if (args[i] instanceof Float value) {
                values[i] = Float.floatToRawIntBits(value) & 0xffffffffL;
                kinds.append('f');
            } else {
                throw new IllegalArgumentException(kernel + ": argument " + i + " is a " + args[i].getClass());
            }
        }
        launch0(kernel, kinds.toString(), gridX, gridY, blockSize, sharedBytes, values);
    }

    @Override
    public void close() {
    }

    private static native long allocate0(long bytes);

    private static native void free0(long address);

    private static native long allocatedBytes0();

    private static native void copyFromArray0(long dst, Object array, long bytes);

    private static native void copyToArray0(Object array, long src, long bytes);

    private static native void copyFromBuffer0(long dst, ByteBuffer buffer, long offset, long bytes);

    private static native void launch0(String kernel, String signature, int gridX, int gridY, int block,
                                       int sharedBytes, long[] args);
}
