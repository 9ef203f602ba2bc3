package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MemoryBandwidthTest {

    /**
     * The buffer is cut into 16 chunks a thread; where a chunk's size is no multiple of the vector size, each
     * chunk's last vector read reached past it, and the last chunk's past the buffer: --threads 6 with 64-byte
     * vectors (AVX-512), or 31 with 32-byte ones, threw IndexOutOfBoundsException before bench measured anything.
     */
    @Test
    void threadCountsThatSplitTheBufferUnevenlyReadInsideIt() {
        for (int threads : new int[] {6, 31}) {
            double rate = MemoryBandwidth.measureBytesPerSecond(threads);
            assertTrue(rate > 0 && Double.isFinite(rate), threads + " threads: " + rate);
        }
    }
}
