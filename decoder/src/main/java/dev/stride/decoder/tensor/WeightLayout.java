package dev.stride.decoder.tensor;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.TensorStore;
import java.util.List;

/**
 * How a model's weights are held for inference, chosen once per weights file from its size. Every layout gives
 * the kernels exactly the stored values; they differ in speed and memory.
 */
public enum WeightLayout {

    /** F32 weights that fit in cache: copied into float32 panels at load. */
    PACKED_FLOAT32,

    /**
     * BF16 weights that fit in cache, or up to {@link #HEAP_SHARE} of the maximum heap: copied into BF16 panels at
     * load (same bytes). Heap arrays stream faster than mapped buffers and feed the panel kernel, and even weights
     * that fit in cache are read faster at half the bytes than widened to float32 (the bits are the same: every
     * panel kernel runs one multiply-add sequence per element). Other dtypes in the same file stay mapped.
     */
    PACKED_BFLOAT16,

    /**
     * F16 weights, by the rule of {@link #PACKED_BFLOAT16}: copied into F16 panels at load (same bytes), widened in
     * registers by the kernels. A matrix holding an infinity or a NaN stays mapped (the widening has no case for
     * them); so do other dtypes in the same file.
     */
    PACKED_FLOAT16,

    /** Everything else: read from the memory-mapped file in the stored dtype on every pass, never copied. */
    STREAMED,

    /**
     * Asked for ({@code q8}): every projection, the output projection included, quantized at load to 8 bits
     * ({@link PackedQ8Matrix}); embedding lookups and norms keep the stored values. Changes the logits, so outputs
     * under q8 compare only with outputs under q8.
     */
    Q8,

    /** Asked for ({@code q8-keep-head}): like {@link #Q8}, but the output projection keeps full precision. */
    Q8_KEEP_HEAD;

    /**
     * Stored weights up to this size are held in panels whatever the heap: BF16 and F16 ones as they are, others
     * widened to float32 (doubling them: still cache-sized).
     */
    public static final long CACHE_SIZED_BYTES = 32L << 20;
    /** Largest share of the maximum heap a BF16 or F16 copy may take: the KV cache and activations need the rest. */
    public static final double HEAP_SHARE = 0.4;

    /**
     * System property pinning the layout of models past {@link #CACHE_SIZED_BYTES}: {@code packed} (BF16 or F16
     * panels whatever the heap), {@code streamed}, or {@code auto} (the default: by heap). The layouts sum in different
     * orders, so the last bits of the logits, and rarely a near-tie token, depend on it: machines that must agree
     * token for token with different heaps should pin it. {@code q8} and {@code q8-keep-head} quantize any model,
     * small ones too (the {@code --weights} option of the commands sets the same choice).
     */
    public static final String PROPERTY = "stride.weights";

    /** The choices {@code --weights} and {@code -D}{@link #PROPERTY} take. */
    public static final List<String> CHOICES = List.of("auto", "packed", "streamed", "q8", "q8-keep-head");

    /** {@link #CHOICES} for a message: "auto, packed, streamed, q8 or q8-keep-head". */
    public static String choicesText() {
        return String.join(", ", CHOICES.subList(0, CHOICES.size() - 1)) + " or " + CHOICES.get(CHOICES.size() - 1);
    }

    /**
     * Safetensors metadata key that {@code stride import-gguf} sets to {@code Q8_0} when it wrote 8-bit blocks as
     * their exact float32 values: {@code auto} then holds the model as {@code q8}, which gets those blocks back
     * (four bytes a weight as stored, one in q8).
     */
    public static final String SOURCE_QUANTIZATION = "stride.source_quantization";

    /** The layout for all tensors of {@code store}, given the JVM's maximum heap and the pinned choice. */
    public static WeightLayout choose(TensorStore store, long maxHeapBytes, String pinned) {
        long bytes = 0;
        long bf16Bytes = 0;
        long f16Bytes = 0;
        for (String name : store.names()) {
            long size = store.info(name).byteLength();
            bytes += size;
            bf16Bytes += store.info(name).dtype() == DType.BF16 ? size : 0;
            f16Bytes += store.info(name).dtype() == DType.F16 ? size : 0;
        }
        WeightLayout halfPanels = f16Bytes > bf16Bytes ? PACKED_FLOAT16 : PACKED_BFLOAT16;
        long halfBytes = Math.max(bf16Bytes, f16Bytes);
        boolean small = bytes <= CACHE_SIZED_BYTES;
        // A small model in half-float panels: measured on AVX-512, 2 threads, the layouts alternating in one process,
        // the demo's shape in BF16 ran 1 / 2 / 4 / 8 rows 1.63 / 1.47 / 1.15 / 1.18x faster than in float32 panels,
        // the 4.2M-parameter `random-model --shape tiny` 1.92 / 1.72 / 1.24 / 1.21x; the F16 demo in F16 panels
        // 1.44 / 1.28 / 1.07 / 1.03x (F16 widens with more operations). Only where one half-float dtype is most of it:
        // matrices of other dtypes would stay mapped.
        WeightLayout panels = small && 2 * halfBytes > bytes ? halfPanels : PACKED_FLOAT32;
        return switch (pinned) {
            case "q8" -> Q8;
            case "q8-keep-head" -> Q8_KEEP_HEAD;
            case "packed" -> small ? panels : halfBytes > 0 ? halfPanels : STREAMED;
            case "streamed" -> small ? panels : STREAMED;
            case "auto" -> "Q8_0".equals(store.metadata().get(SOURCE_QUANTIZATION)) ? Q8 : small ? panels
                    : halfBytes > 0 && bytes <= HEAP_SHARE * maxHeapBytes ? halfPanels : STREAMED;
            default -> throw new IllegalArgumentException("--weights / -D" + PROPERTY + "=" + pinned
                    + ": expected " + choicesText());
        };
    }

    /** The layout for {@code store} in this JVM, as {@code -D}{@link #PROPERTY} pins it. */
    public static WeightLayout choose(TensorStore store) {
        return choose(store, (String) null);
    }

    /** The layout for {@code store} in this JVM: {@code weights} if given, else as {@code -D}{@link #PROPERTY} pins it. */
    public static WeightLayout choose(TensorStore store, String weights) {
        return choose(store, Runtime.getRuntime().maxMemory(), pinned(weights));
    }

    /** {@code weights} if given, else the value of {@code -D}{@link #PROPERTY}, else {@code auto}. */
    public static String pinned(String weights) {
        return weights != null ? weights : System.getProperty(PROPERTY, "auto");
    }

    /**
     * The choice for prediction heads beside a model loaded with {@code weights} into {@code modelLayout}: heads
     * follow the model (8-bit beside a model that {@code auto} made q8, as beside one the user did); under
     * {@code q8-keep-head} they keep full precision too (see {@link #holdDraft}; they decide speed, never a token).
     */
    public static String forHeads(String weights, WeightLayout modelLayout) {
        String pinned = pinned(weights);
        return pinned.equals("auto") && modelLayout == Q8 ? "q8" : pinned;
    }

    /** What this layout does with a model's weights, for the load log. */
    public String describe() {
        return switch (this) {
            case PACKED_FLOAT32 -> "widened to float32 panels at load (cache-sized weights)";
            case PACKED_BFLOAT16 -> "BF16 matrices copied into BF16 panels on the heap";
            case PACKED_FLOAT16 -> "F16 matrices copied into F16 panels on the heap";
            case STREAMED -> "read from the memory-mapped file on every pass";
            case Q8 -> "q8: quantized at load to 8 bits (blocks of 32, float16 scales), output projection too";
            case Q8_KEEP_HEAD -> "q8: quantized at load to 8 bits (blocks of 32, float16 scales), output projection"
                    + " at full precision";
        };
    }

    /** {@code m} as this layout holds it; matrices of another dtype than the layout packs stay as stored. */
    public WeightMatrix hold(WeightMatrix m) {
        return switch (this) {
            case PACKED_FLOAT32 -> PackedMatrix.pack(m);
            case PACKED_BFLOAT16 -> m.dtype() == DType.BF16 ? PackedHalfMatrix.pack(m) : m;
            case PACKED_FLOAT16 -> m.dtype() == DType.F16 ? PackedHalfMatrix.packOrKeep(m) : m;
            case STREAMED -> m;
            case Q8, Q8_KEEP_HEAD -> PackedQ8Matrix.quantize(m);
        };
    }

    /**
     * A prediction head's matrix {@code m} beside a model held in this layout. Heads only propose tokens that the
     * model then verifies, so packed layouts quantize them to 8 bits ({@link PackedQ8Matrix}): a head's matmul is
     * bound by reading its weights, and whatever a head level reads also pushes the model's weights out of the
     * caches before the next pass. Demo, 2 threads, one process alternating (15 rounds, medians): against BF16
     * panels, chain:1 1.08x, chain:2 1.05x, chain:3 1.13x, with tokens per pass unchanged (1.69 / 2.15 / 2.45;
     * float32 panels cost 0.27 of a plain pass a head level, BF16 0.13).
     */
    public WeightMatrix holdDraft(WeightMatrix m) {
        return switch (this) {
            case PACKED_FLOAT32, PACKED_BFLOAT16, PACKED_FLOAT16 -> PackedQ8Matrix.quantize(m);
            case Q8_KEEP_HEAD -> holdHead(m); // asked for full precision: the stored values in panels
            case STREAMED, Q8 -> hold(m);
        };
    }

    /** The output projection {@code m} as this layout holds it: at full precision, in panels, under q8-keep-head. */
    public WeightMatrix holdHead(WeightMatrix m) {
        if (this != Q8_KEEP_HEAD) {
            return hold(m);
        }
        if (m.dtype() == DType.BF16 || m.dtype() == DType.F16) {
            WeightMatrix half = PackedHalfMatrix.packOrKeep(m);
            return half instanceof PackedHalfMatrix ? half : PackedMatrix.pack(m);
        }
        return PackedMatrix.pack(m);
    }

    /** Whether weights are quantized (other values than the stored ones; the CPU backend only). */
    public boolean quantized() {
        return this == Q8 || this == Q8_KEEP_HEAD;
    }

    /** Whether the output projection holds other values than the stored ones. */
    public boolean quantizesHead() {
        return this == Q8;
    }
}
