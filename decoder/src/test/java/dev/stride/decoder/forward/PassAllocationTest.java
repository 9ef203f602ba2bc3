package dev.stride.decoder.forward;

import dev.stride.decoder.testing.ForkedJvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A warm forward pass allocates nothing, in each weight layout, on two compute threads: handing a matmul or a layer's
 * attention to the compute pool once allocated a lambda capturing the call (840 bytes a demo pass) and, on two
 * threads, an object per parallel loop. Each layout runs in a JVM of its own ({@link PassAllocationProbe}, which
 * fails there), as a process serving one model does: the JIT profiles other tests leave behind can keep a
 * vector-returning call out of line, and a boxed vector is an allocation this test would blame on the pass.
 */
class PassAllocationTest {

    @Test
    void warmPassesOfOneToEightRowsAllocateLessThanAByteEach() throws Exception {
        for (String layout : List.of("PACKED_FLOAT16", "Q8", "STREAMED")) {
            ForkedJvm.run(List.of("-XX:PerMethodTrapLimit=10000"), PassAllocationProbe.class, layout);
        }
    }
}
