package dev.stride.decoder.cuda;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed {@code --device} value: {@code cpu}, {@code auto} (CUDA when a driver, a GPU and kernels are there, else
 * the CPU) or {@code cuda[:N]} (GPU N, default 0; under Spark, the address the cluster assigned).
 *
 * @param ordinal the CUDA device number; 0 for cpu and auto
 */
public record DeviceSpec(Kind kind, int ordinal) {

    public enum Kind { CPU, AUTO, CUDA }

    public static final DeviceSpec CPU = new DeviceSpec(Kind.CPU, 0);
    public static final DeviceSpec AUTO = new DeviceSpec(Kind.AUTO, 0);
    private static final Pattern CUDA_ORDINAL = Pattern.compile("cuda:(\\d{1,4})");

    public DeviceSpec {
        if (ordinal < 0) {
            throw new IllegalArgumentException("CUDA device number must be >= 0, got " + ordinal);
        }
    }

    /** Parses a device value; null means auto. */
    public static DeviceSpec parse(String value) {
        if (value == null) {
            return AUTO;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("cpu")) {
            return CPU;
        }
        if (v.equals("auto")) {
            return AUTO;
        }
        if (v.equals("cuda")) {
            return new DeviceSpec(Kind.CUDA, 0);
        }
        Matcher cuda = CUDA_ORDINAL.matcher(v);
        if (cuda.matches()) {
            return new DeviceSpec(Kind.CUDA, Integer.parseInt(cuda.group(1)));
        }
        throw new IllegalArgumentException("--device " + value + ": expected cpu, auto, cuda or cuda:N");
    }

    @Override
    public String toString() {
        return kind == Kind.CUDA ? "cuda:" + ordinal : kind.name().toLowerCase(Locale.ROOT);
    }
}
