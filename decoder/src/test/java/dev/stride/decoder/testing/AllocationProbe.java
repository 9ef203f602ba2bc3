package dev.stride.decoder.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Whether code allocates once the JIT has compiled it. Before C2 every Vector API value is an object and escape
 * analysis has not run, so the probe calls the code in stretches until one stretch allocates nothing on the calling
 * thread, and fails at a deadline.
 */
public final class AllocationProbe {

    private static final long DEADLINE_NANOS = 60_000_000_000L;

    private AllocationProbe() {
    }

    /** Runs {@code calls} until 200 runs in a row allocate nothing on this thread; fails after 60 s. */
    public static void assertAllocationFree(String what, Runnable calls) {
        assertAllocatesLessThan(what, calls, 1);
    }

    /**
     * Runs {@code calls} until 200 runs in a row allocate fewer than {@code bytes} on this thread; fails after 60 s. A
     * bound above zero tolerates a rare allocation outside the code under test while still catching one per call.
     */
    public static void assertAllocatesLessThan(String what, Runnable calls, long bytes) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long allocated;
        do {
            for (int i = 0; i < 2_000; i++) {
                calls.run();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 200; i++) {
                calls.run();
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
            if (allocated < bytes) {
                return;
            }
        } while (System.nanoTime() - start < DEADLINE_NANOS);
        fail(what + ": 200 runs still allocated " + allocated + " bytes after " + DEADLINE_NANOS / 1_000_000_000
                + " s of warm-up; where, by JFR's allocation samples:\n" + allocationSites(calls));
    }

    /**
     * The stacks (innermost frames) at which {@code calls} allocated in five seconds of runs, by JFR's samples at each
     * new allocation buffer, most sampled first: what a failure needs to name, since the JIT state behind it may not
     * recur. Samples of the first three seconds are left out: starting the recording sends some compiled code back
     * to a lower tier for a while, whose allocations are not the ones under test.
     */
    private static String allocationSites(Runnable calls) {
        try (Recording recording = new Recording()) {
            for (String event : new String[] {"jdk.ObjectAllocationInNewTLAB", "jdk.ObjectAllocationOutsideTLAB"}) {
                recording.enable(event).withStackTrace();
            }
            recording.start();
            Instant settled = Instant.now().plusSeconds(3);
            while (Instant.now().isBefore(settled.plusSeconds(5))) {
                calls.run();
            }
            recording.stop();
            Path file = Files.createTempFile("stride-allocations", ".jfr");
            try {
                recording.dump(file);
                Map<String, Long> samples = new TreeMap<>();
                long thread = Thread.currentThread().getId();
                for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
                    if (event.getThread() != null && event.getThread().getJavaThreadId() == thread
                            && event.getStackTrace() != null && event.getStartTime().isAfter(settled)) {
                        samples.merge(event.getClass("objectClass").getName() + " at " + frames(event), 1L, Long::sum);
                    }
                }
                return samples.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .limit(8).map(e -> e.getValue() + " samples: " + e.getKey()).collect(Collectors.joining("\n"));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            return "(no JFR recording: " + e + ")";
        }
    }

    private static String frames(RecordedEvent event) {
        return event.getStackTrace().getFrames().stream().limit(6)
                .map(f -> f.getMethod().getType().getName() + "." + f.getMethod().getName() + ":" + f.getLineNumber()
                        + " (" + f.getType() + ")")
                .collect(Collectors.joining(" <- "));
    }
}
