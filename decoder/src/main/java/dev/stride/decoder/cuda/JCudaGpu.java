package dev.stride.decoder.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * A GPU through the CUDA driver API (JCuda): the device's primary context, made current on whichever thread calls,
 * and the kernel fatbin loaded as one module. Launches go to the context's default stream, in order.
 */
final class JCudaGpu implements Gpu {

    /** Exposes the raw address JCuda keeps inside a device pointer: kernels take per-row cache addresses. */
    private static final class Address extends CUdeviceptr {
        long value() {
            return getNativePointer() + getByteOffset();
        }
    }

    private static final CUdeviceptr NULL = new CUdeviceptr();
    /** Why JCuda's native library did not load; later attempts only say "Could not initialize class". */
    private static volatile LinkageError driverMissing;

    private final CUdevice device;
    private final CUcontext context;
    private final CUmodule module;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final String description;

    private JCudaGpu(CUdevice device, CUcontext context, CUmodule module, String description) {
        this.device = device;
        this.context = context;
        this.module = module;
        this.description = description;
    }

    /** Initializes the driver; throws (LinkageError without libcuda, CudaException on driver errors) if it cannot. */
    static int deviceCount() {
        if (driverMissing != null) {
            throw driverMissing;
        }
        try {
            JCudaDriver.setExceptionsEnabled(true);
        } catch (LinkageError e) {
            driverMissing = e;
            throw e;
        }
        cuInit(0);
        int[] count = new int[1];
        cuDeviceGetCount(count);
        return count[0];
    }

    static JCudaGpu open(int ordinal, byte[] fatbin) {
        int count = deviceCount();
        if (ordinal >= count) {
            throw new IllegalArgumentException("cuda:" + ordinal + " does not exist: the driver reports " + count
                    + " device(s)");
        }
        CUdevice device = new CUdevice();
        cuDeviceGet(device, ordinal);
        CUcontext context = new CUcontext();
        cuDevicePrimaryCtxRetain(context, device);
        try {
            cuCtxSetCurrent(context);
            String description = "cuda:" + ordinal + " " + describe(device);
            CUmodule module = new CUmodule();
            try {
                cuModuleLoadData(module, fatbin);
            } catch (CudaException e) {
                // Typically a driver older than the nvcc that built the fatbin, or a GPU older than sm_80.
                throw new IllegalStateException(description + " cannot load the Stride kernels (" + e.getMessage()
                        + "); they hold SASS for sm_80, sm_86, sm_89 and sm_90 and PTX for compute_90, and need a "
                        + "driver at least as new as the CUDA that compiled them", e);
            }
            return new JCudaGpu(device, context, module, description);
        } catch (RuntimeException e) {
            cuDevicePrimaryCtxRelease(device);
            throw e;
        }
    }

    private static String describe(CUdevice device) {
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int length = 0;
        while (length < name.length && name[length] != 0) {
            length++;
        }
        int[] major = new int[1];
        int[] minor = new int[1];
        int[] driver = new int[1];
        cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        cuDriverGetVersion(driver);
        return new String(name, 0, length, StandardCharsets.US_ASCII) + " (compute " + major[0] + "." + minor[0]
                + ", driver " + driver[0] / 1000 + "." + driver[0] % 1000 / 10 + ")";
    }

    private static CUdeviceptr at(long address) {
        return NULL.withByteOffset(address);
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public long freeMemory() {
        cuCtxSetCurrent(context);
        long[] free = new long[1];
        long[] total = new long[1];
        cuMemGetInfo(free, total);
        return free[0];
    }

    @Override
    public long allocate(long bytes) {
        cuCtxSetCurrent(context);
        Address address = new Address();
        cuMemAlloc(address, Math.max(bytes, 1));
        return address.value();
    }

    @Override
    public void free(long address) {
        cuCtxSetCurrent(context);
        cuMemFree(at(address));
    }

    @Override
    public void upload(long dst, ByteBuffer src) {
        cuCtxSetCurrent(context);
        cuMemcpyHtoD(at(dst), Pointer.to(src.slice()), src.remaining());
    }

    @Override
    public void upload(long dst, float[] src, int count) {
        cuCtxSetCurrent(context);
        cuMemcpyHtoD(at(dst), Pointer.to(src), (long) count * Float.BYTES);
    }

    @Override
    public void upload(long dst, int[] src, int count) {
        cuCtxSetCurrent(context);
        cuMemcpyHtoD(at(dst), Pointer.to(src), (long) count * Integer.BYTES);
    }

    @Override
    public void upload(long dst, long[] src, int count) {
        cuCtxSetCurrent(context);
        cuMemcpyHtoD(at(dst), Pointer.to(src), (long) count * Long.BYTES);
    }

    @Override
    public void download(float[] dst, long src, int count) {
        cuCtxSetCurrent(context);
        cuMemcpyDtoH(Pointer.to(dst), at(src), (long) count * Float.BYTES);
    }

    @Override
    public void download(int[] dst, long src, int count) {
        cuCtxSetCurrent(context);
        cuMemcpyDtoH(Pointer.to(dst), at(src), (long) count * Integer.BYTES);
    }

    @Override
    public void launch(String kernel, int gridX, int gridY, int blockSize, int sharedBytes, Object... args) {
        cuCtxSetCurrent(context);
        CUfunction function = functions.computeIfAbsent(kernel, name -> {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, module, name);
            return f;
        });
        NativePointerObject[] parameters = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object arg = args[i];
            if (arg instanceof Long address) {
                parameters[i] = Pointer.to(new long[] {address});
            } else if (arg instanceof Integer value) {
                parameters[i] = Pointer.to(new int[] {value});
            } else if (arg instanceof Float value) {
                parameters[i] = Pointer.to(new float[] {value});
            } else {
                throw new IllegalArgumentException(kernel + ": argument " + i + " is a " + arg.getClass().getName());
            }
        }
        cuLaunchKernel(function, gridX, gridY, 1, blockSize, 1, 1, sharedBytes, null, Pointer.to(parameters), null);
    }

    @Override
    public void close() {
        try {
            cuCtxSetCurrent(context);
            cuCtxSynchronize(); // reports a kernel fault: the context must be released all the same
            cuModuleUnload(module);
        } finally {
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
