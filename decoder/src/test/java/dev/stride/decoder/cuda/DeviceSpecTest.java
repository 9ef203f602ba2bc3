package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DeviceSpecTest {

    @Test
    void parsesEveryForm() {
        assertEquals(DeviceSpec.CPU, DeviceSpec.parse("cpu"));
        assertEquals(DeviceSpec.AUTO, DeviceSpec.parse("auto"));
        assertEquals(DeviceSpec.AUTO, DeviceSpec.parse(null));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 0), DeviceSpec.parse("cuda"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 3), DeviceSpec.parse("cuda:3"));
        assertEquals(new DeviceSpec(DeviceSpec.Kind.CUDA, 1), DeviceSpec.parse(" CUDA:1 "));
        for (String spec : new String[] {"cpu", "auto", "cuda:0", "cuda:7"}) {
            assertEquals(spec, DeviceSpec.parse(spec).toString());
        }
    }

    @Test
    void rejectsAnythingElseNamingTheForms() {
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:1:2", "cuda:123456", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceSpec.parse(bad));
            assertTrue(e.getMessage().contains("expected cpu, auto, cuda or cuda:N"), e.getMessage());
        }
    }
}
