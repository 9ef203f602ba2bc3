package dev.stride.decoder.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class JitFlagsTest {

    @Test
    void hotspotsDefaultLimitWarnsWithTheFlagThatFixesIt() {
        String warning = JitFlags.warning("100").orElseThrow();
        assertTrue(warning.contains("-XX:PerMethodTrapLimit=100:"), warning);
        assertTrue(warning.contains("start it with " + JitFlags.TRAP_LIMIT_FLAG), warning);
    }

    @Test
    void aHighEnoughLimitOrAnotherJvmDoesNotWarn() {
        assertEquals(Optional.empty(), JitFlags.warning("10000"));
        assertEquals(Optional.empty(), JitFlags.warning("1000"));
        assertTrue(JitFlags.warning("999").isPresent());
        assertEquals(Optional.empty(), JitFlags.warning(null));
    }

    @Test
    void thisJvmRunsWithTheProjectsFlags() {
        // surefire starts it with the parent pom's stride.jvm.flags, which the launchers and cluster-config copy
        assertEquals(Optional.empty(), JitFlags.warning());
    }
}
