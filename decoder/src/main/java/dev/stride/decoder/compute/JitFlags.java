package dev.stride.decoder.compute;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;

/**
 * The HotSpot setting the kernels' speed depends on. C2 adds up the class-check deoptimisations recorded in the
 * profile of every method it inlines into a kernel; the JDK's shared Vector API methods collect a few each as new
 * operators reach them (a SiLU kernel inlines some of them 30-35 times), and once the sum reaches {@code
 * PerMethodTrapLimit} (100 by default) C2 stops speculating on receiver classes for that compile: the kernel's
 * vectors lose their exact class and every one is boxed on the heap, for as long as the compile lives. Whether a
 * JVM gets there depends on what else it compiles meanwhile: the Spark job did in about two runs of three and then
 * decoded at half speed. {@value #TRAP_LIMIT_FLAG}, in every launcher and Spark configuration the project ships,
 * keeps the kernels out of that state.
 */
public final class JitFlags {

    /** The flag every Stride JVM runs with. */
    public static final String TRAP_LIMIT_FLAG = "-XX:PerMethodTrapLimit=10000";
    /** Kernels measured 116-175 class-check traps summed over their inlined methods; well above that is enough. */
    static final long ENOUGH_TRAPS = 1000;

    private JitFlags() {
    }

    /** A warning for the log and the run summary when this JVM lacks the flag; empty on other JVMs. */
    public static Optional<String> warning() {
        try {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return warning(hotspot == null ? null : hotspot.getVMOption("PerMethodTrapLimit").getValue());
        } catch (IllegalArgumentException | LinkageError e) {
            return Optional.empty(); // not HotSpot, or a runtime without jdk.management: nothing to check
        }
    }

    static Optional<String> warning(String perMethodTrapLimit) {
        if (perMethodTrapLimit == null || Long.parseLong(perMethodTrapLimit) >= ENOUGH_TRAPS) {
            return Optional.empty();
        }
        return Optional.of("this JVM runs with -XX:PerMethodTrapLimit=" + perMethodTrapLimit + ": the vector kernels "
                + "may end up boxing every vector and decode at half speed; start it with " + TRAP_LIMIT_FLAG
                + " (bin/stride and cluster-config/spark-defaults*.conf do)");
    }
}
