package dev.stride.decoder.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Where the build had nvcc, the decoder carries the kernels for every supported GPU generation. */
class FatbinResourceTest {

    private static final int FATBIN_MAGIC = 0xBA55ED50;

    /** nvcc where build-fatbin.sh looks for it: NVCC, PATH, then $CUDA_HOME/bin. */
    private static Optional<Path> nvcc() {
        Stream<String> candidates = Stream.of(System.getenv("NVCC"));
        String path = System.getenv("PATH");
        if (path != null) {
            candidates = Stream.concat(candidates, Stream.of(path.split(":")).map(d -> d + "/nvcc"));
        }
        String cudaHome = System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda");
        return Stream.concat(candidates, Stream.of(cudaHome + "/bin/nvcc"))
                .filter(p -> p != null && !p.isEmpty()).map(Path::of).filter(Files::isExecutable).findFirst();
    }

    @Test
    void theFatbinHoldsSassForSm80To90AndPtx() {
        assumeTrue(nvcc().isPresent(), "no nvcc: this build has no GPU kernels");
        byte[] image = KernelImage.load().orElseThrow(() -> new AssertionError(
                "nvcc is at " + nvcc().get() + " but the classpath has no " + KernelImage.RESOURCE));
        assertEquals(Set.of("ptx compute_90", "sass sm_80", "sass sm_86", "sass sm_89", "sass sm_90"), entries(image));
    }

    /** The fatbin's entries: a 16-byte header, then per entry its kind, header size, payload size and arch. */
    private static Set<String> entries(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(FATBIN_MAGIC, b.getInt(0), "fatbin magic");
        int headerSize = b.getShort(6);
        long end = headerSize + b.getLong(8);
        assertEquals(image.length, end, "fatbin size");
        Set<String> entries = new TreeSet<>();
        for (int at = headerSize; at < end; ) {
            int kind = b.getShort(at);
            int entryHeader = b.getInt(at + 4);
            long payload = b.getLong(at + 8);
            int arch = b.getInt(at + 28);
            assertTrue(kind == 1 || kind == 2, "entry kind " + kind);
            entries.add(kind == 1 ? "ptx compute_" + arch : "sass sm_" + arch);
            at += entryHeader + (int) payload;
        }
        return entries;
    }
}
