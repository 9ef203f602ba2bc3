package dev.stride.decoder.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.safetensors.TensorStore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which layout a weights file gets, by its size and the heap, and what each layout does to a matrix. */
class WeightLayoutTest {

    private static final long MIB = 1L << 20;

    private static TensorStore store(Path dir, String name, DType dtype, int rows, int cols) {
        Path file = dir.resolve(name);
        new SafetensorsWriter().putFloats("w", dtype, new long[] {rows, cols}, new float[rows * cols]).write(file);
        return TensorStore.openFile(file);
    }

    /** Cache-sized weights are held in panels whatever the heap: BF16 and F16 as they are, F32 as float32. */
    @Test
    void cacheSizedWeightsArePackedWhateverTheHeap(@TempDir Path dir) {
        try (TensorStore small = store(dir, "small.safetensors", DType.BF16, 64, 64)) {
            assertEquals(WeightLayout.PACKED_BFLOAT16, WeightLayout.choose(small, 1, "auto"));
            assertEquals(WeightLayout.PACKED_BFLOAT16, WeightLayout.choose(small, 1, "packed"));
            assertEquals(WeightLayout.PACKED_BFLOAT16, WeightLayout.choose(small, 1L << 40, "streamed"));
        }
        try (TensorStore small = store(dir, "half.safetensors", DType.F16, 64, 64)) {
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(small, 1, "auto"));
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(small, 1L << 40, "streamed"));
        }
        try (TensorStore small = store(dir, "single.safetensors", DType.F32, 64, 64)) {
            assertEquals(WeightLayout.PACKED_FLOAT32, WeightLayout.choose(small, 1, "auto"));
        }
    }

    /**
     * A small file whose bytes are mostly of no one half-float dtype is widened whole: half-float panels would leave
     * the rest mapped. Where one is most of it, the file gets that dtype's panels.
     */
    @Test
    void aSmallFileMostlyOfOtherDtypesIsWidenedToFloat32(@TempDir Path dir) {
        Path file = dir.resolve("mixed.safetensors");
        new SafetensorsWriter().putFloats("a", DType.BF16, new long[] {16, 16}, new float[256])
                .putFloats("b", DType.F32, new long[] {16, 16}, new float[256]).write(file);
        try (TensorStore mixed = TensorStore.openFile(file)) {
            assertEquals(WeightLayout.PACKED_FLOAT32, WeightLayout.choose(mixed, 1L << 40, "auto"));
        }
        Path halves = dir.resolve("halves.safetensors");
        new SafetensorsWriter().putFloats("a", DType.BF16, new long[] {16, 16}, new float[256])
                .putFloats("b", DType.F16, new long[] {16, 32}, new float[512]).write(halves);
        try (TensorStore mixed = TensorStore.openFile(halves)) {
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(mixed, 1L << 40, "auto"));
        }
    }

    @Test
    void largerWeightsArePackedOnlyWhileTheyTakeASmallShareOfTheHeap(@TempDir Path dir) {
        int cols = 1024;
        int rows = (int) (WeightLayout.CACHE_SIZED_BYTES / (2 * cols)) + 16; // just past the cache-sized threshold
        try (TensorStore large = store(dir, "large.safetensors", DType.BF16, rows, cols)) {
            long bytes = 2L * rows * cols;
            long roomyHeap = (long) Math.ceil(bytes / WeightLayout.HEAP_SHARE);
            assertEquals(WeightLayout.PACKED_BFLOAT16, WeightLayout.choose(large, roomyHeap, "auto"));
            assertEquals(WeightLayout.STREAMED, WeightLayout.choose(large, roomyHeap - MIB, "auto"));
            assertEquals(WeightLayout.PACKED_BFLOAT16, WeightLayout.choose(large, roomyHeap - MIB, "packed"),
                    "pinned: whatever the heap");
            assertEquals(WeightLayout.STREAMED, WeightLayout.choose(large, roomyHeap, "streamed"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightLayout.choose(large, roomyHeap, "fast"));
            assertTrue(e.getMessage().contains(WeightLayout.PROPERTY), e.getMessage());
        }
        try (TensorStore half = store(dir, "half.safetensors", DType.F16, rows, cols)) {
            long roomyHeap = (long) Math.ceil(2L * rows * cols / WeightLayout.HEAP_SHARE);
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(half, roomyHeap, "auto"));
            assertEquals(WeightLayout.STREAMED, WeightLayout.choose(half, roomyHeap - MIB, "auto"));
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(half, roomyHeap - MIB, "packed"));
        }
        try (TensorStore single = store(dir, "single.safetensors", DType.F32, rows / 2, cols)) {
            assertEquals(WeightLayout.STREAMED, WeightLayout.choose(single, 1L << 40, "auto"), "no halves to pack");
        }
    }

    @Test
    void bf16PanelsRefuseValuesThatAreNotBf16(@TempDir Path dir) {
        try (TensorStore bf16 = store(dir, "a.safetensors", DType.BF16, 16, 8)) {
            WeightMatrix bfloat = MappedMatrix.of(DType.BF16, bf16.data("w"), 16, 8);
            ArrayMatrix precise = new ArrayMatrix(8, 8);
            precise.values()[5] = 1.0001f; // not representable in BF16
            WeightMatrix stacked = new StackedMatrix(bfloat, precise); // reports the first part's dtype: BF16
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightLayout.PACKED_BFLOAT16.hold(stacked));
            assertTrue(e.getMessage().contains("row 16 column 5"), e.getMessage());
        }
    }

    @Test
    void eachLayoutHoldsMatricesItsOwnWay(@TempDir Path dir) {
        try (TensorStore bf16 = store(dir, "a.safetensors", DType.BF16, 40, 24);
             TensorStore f16 = store(dir, "b.safetensors", DType.F16, 40, 24)) {
            WeightMatrix bfloat = MappedMatrix.of(DType.BF16, bf16.data("w"), 40, 24);
            WeightMatrix half = MappedMatrix.of(DType.F16, f16.data("w"), 40, 24);
            assertInstanceOf(PackedMatrix.class, WeightLayout.PACKED_FLOAT32.hold(half));
            assertInstanceOf(PackedHalfMatrix.class, WeightLayout.PACKED_BFLOAT16.hold(bfloat));
            assertSame(half, WeightLayout.PACKED_BFLOAT16.hold(half), "only BF16 has BF16 panels");
            assertInstanceOf(PackedHalfMatrix.class, WeightLayout.PACKED_FLOAT16.hold(half));
            assertSame(bfloat, WeightLayout.PACKED_FLOAT16.hold(bfloat), "only F16 has F16 panels");
            assertSame(bfloat, WeightLayout.STREAMED.hold(bfloat));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.Q8.hold(half));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.Q8.holdHead(bfloat));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.Q8_KEEP_HEAD.hold(bfloat));
            assertInstanceOf(PackedHalfMatrix.class, WeightLayout.Q8_KEEP_HEAD.holdHead(bfloat), "full precision");
            assertInstanceOf(PackedHalfMatrix.class, WeightLayout.Q8_KEEP_HEAD.holdHead(half));
            // Prediction heads beside a packed model: 8-bit (they only propose tokens).
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.PACKED_FLOAT32.holdDraft(half));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.PACKED_BFLOAT16.holdDraft(half));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.PACKED_FLOAT16.holdDraft(bfloat));
            assertSame(bfloat, WeightLayout.STREAMED.holdDraft(bfloat));
            assertInstanceOf(PackedQ8Matrix.class, WeightLayout.Q8.holdDraft(half));
            assertInstanceOf(PackedHalfMatrix.class, WeightLayout.Q8_KEEP_HEAD.holdDraft(half), "full precision");
        }
    }

    @Test
    void q8IsChosenOnlyWhenAskedAndForModelsOfEverySize(@TempDir Path dir) {
        try (TensorStore small = store(dir, "small.safetensors", DType.F16, 64, 64)) {
            assertEquals(WeightLayout.Q8, WeightLayout.choose(small, 1, "q8"), "cache-sized too");
            assertEquals(WeightLayout.Q8_KEEP_HEAD, WeightLayout.choose(small, 1L << 40, "q8-keep-head"));
            assertEquals(WeightLayout.PACKED_FLOAT16, WeightLayout.choose(small, 1L << 40, "auto"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> WeightLayout.choose(small, 1L << 40, "q4"));
            assertTrue(e.getMessage().contains("q8-keep-head"), e.getMessage());
        }
        assertEquals("q8-keep-head", WeightLayout.forHeads("q8-keep-head", WeightLayout.Q8_KEEP_HEAD),
                "heads kept at full precision too");
        assertEquals("q8", WeightLayout.forHeads("q8", WeightLayout.Q8));
        assertEquals("q8", WeightLayout.forHeads("auto", WeightLayout.Q8), "beside a model its files made q8");
        assertEquals("auto", WeightLayout.forHeads("auto", WeightLayout.PACKED_FLOAT32));
    }
}
