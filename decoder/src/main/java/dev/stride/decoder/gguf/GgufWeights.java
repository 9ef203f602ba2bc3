package dev.stride.decoder.gguf;

import dev.stride.decoder.model.Architecture;
import dev.stride.decoder.model.ModelConfig;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.HalfFloats;
import dev.stride.decoder.safetensors.SafetensorsWriter;
import dev.stride.decoder.safetensors.SafetensorsWriter.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensors of a Llama GGUF file under their Hugging Face names, checked against the config's shapes, and
 * converted a window of rows at a time while safetensors shards are written (no tensor is held whole, so the
 * heap needed does not grow with the model). F32, F16 and BF16 rows are copied; Q8_0 rows are dequantized to
 * float32 exactly. A Llama file's query and key rows are put back in Hugging Face order: llama.cpp rotates
 * adjacent pairs for that architecture, so its converter interleaves each head's halves. Qwen2 it rotates as
 * Hugging Face does, halves apart, and its rows stay as they are.
 */
final class GgufWeights {

    /** Bytes of GGUF rows mapped at a time, by default. */
    static final long WINDOW_BYTES = 1L << 28;
    /** Bytes of converted rows buffered before a write. */
    private static final int CHUNK_BYTES = 1 << 20;

    /** One tensor: where it goes, and for the query and key projections, how many rotary heads its rows hold. */
    record Planned(String hfName, GgufTensor tensor, int rotaryHeads) {

        DType outputType() {
            return switch (tensor.type()) {
                case F32, Q8_0 -> DType.F32;
                case F16 -> DType.F16;
                case BF16 -> DType.BF16;
            };
        }

        long outputRowBytes() {
            return tensor.cols() * outputType().byteSize();
        }

        TensorSpec spec() {
            long[] dims = tensor.dims();
            long[] shape = new long[dims.length];
            for (int d = 0; d < dims.length; d++) {
                shape[d] = dims[dims.length - 1 - d];
            }
            return new TensorSpec(hfName, outputType(), shape);
        }
    }

    private final GgufFile file;
    private final List<Planned> plan;
    private final long windowBytes;
    private long q8BlocksNotAt127;

    private GgufWeights(GgufFile file, List<Planned> plan, long windowBytes) {
        this.file = file;
        this.plan = plan;
        this.windowBytes = windowBytes;
    }

    /** Every tensor of the file placed; a tensor with no place in the model is an error, never dropped. */
    static GgufWeights plan(GgufFile f, ModelConfig c, long windowBytes) {
        Map<String, Planned> byGgufName = new LinkedHashMap<>();
        int h = c.hiddenSize();
        expect(byGgufName, f, "token_embd.weight", "model.embed_tokens.weight", 0, c.vocabSize(), h);
        expect(byGgufName, f, "output_norm.weight", "model.norm.weight", 0, h);
        if (!c.tiedEmbeddings()) {
            expect(byGgufName, f, "output.weight", "lm_head.weight", 0, c.vocabSize(), h);
        }
        boolean interleaved = c.architecture() == Architecture.LLAMA;
        for (int i = 0; i < c.numLayers(); i++) {
            String g = "blk." + i + ".";
            String p = "model.layers." + i + ".";
            expect(byGgufName, f, g + "attn_norm.weight", p + "input_layernorm.weight", 0, h);
            expect(byGgufName, f, g + "attn_q.weight", p + "self_attn.q_proj.weight",
                    interleaved ? c.numHeads() : 0, c.qDim(), h);
            expect(byGgufName, f, g + "attn_k.weight", p + "self_attn.k_proj.weight",
                    interleaved ? c.numKvHeads() : 0, c.kvDim(), h);
            expect(byGgufName, f, g + "attn_v.weight", p + "self_attn.v_proj.weight", 0, c.kvDim(), h);
            if (c.qkvBias()) {
                expect(byGgufName, f, g + "attn_q.bias", p + "self_attn.q_proj.bias", 0, c.qDim());
                expect(byGgufName, f, g + "attn_k.bias", p + "self_attn.k_proj.bias", 0, c.kvDim());
                expect(byGgufName, f, g + "attn_v.bias", p + "self_attn.v_proj.bias", 0, c.kvDim());
            }
            expect(byGgufName, f, g + "attn_output.weight", p + "self_attn.o_proj.weight", 0, h, c.qDim());
            expect(byGgufName, f, g + "ffn_norm.weight", p + "post_attention_layernorm.weight", 0, h);
            expect(byGgufName, f, g + "ffn_gate.weight", p + "mlp.gate_proj.weight", 0, c.intermediateSize(), h);
            expect(byGgufName, f, g + "ffn_up.weight", p + "mlp.up_proj.weight", 0, c.intermediateSize(), h);
            expect(byGgufName, f, g + "ffn_down.weight", p + "mlp.down_proj.weight", 0, h, c.intermediateSize());
        }
        List<Planned> plan = new ArrayList<>();
        for (String name : f.tensors().keySet()) { // in the file's order, so that it is read front to back
            if (byGgufName.containsKey(name)) {
                plan.add(byGgufName.get(name));
            } else if (!name.equals(GgufConfig.ROPE_FREQS)) {
                throw new GgufException(f.path() + ": tensor '" + name + "' has no place in a "
                        + c.architecture().hfName() + " of " + c.numLayers() + " layers (not imported rather than"
                        + " dropped)");
            }
        }
        return new GgufWeights(f, plan, windowBytes);
    }

    private static void expect(Map<String, Planned> plan, GgufFile f, String ggufName, String hfName,
                               int rotaryHeads, long... hfShape) {
        GgufTensor t = f.tensor(ggufName).orElseThrow(
                () -> new GgufException(f.path() + ": no tensor '" + ggufName + "' (for " + hfName + ")"));
        Planned p = new Planned(hfName, t, rotaryHeads);
        if (!Arrays.equals(p.spec().shape(), hfShape)) {
            throw new GgufException(f.path() + ": tensor '" + ggufName + "' has dimensions "
                    + Arrays.toString(t.dims()) + " (innermost first); the metadata's shape needs "
                    + Arrays.toString(hfShape) + " (outermost first)");
        }
        if (t.type() == GgmlType.Q8_0 && hfShape.length == 1) {
            throw new GgufException(f.path() + ": tensor '" + ggufName + "' is a Q8_0 vector; norms and biases must"
                    + " be F32, F16 or BF16");
        }
        plan.put(ggufName, p);
    }

    /** The plan cut into shards of at most {@code maxShardBytes} (a larger tensor gets a shard of its own). */
    List<List<Planned>> shards(long maxShardBytes) {
        return SafetensorsWriter.shards(plan, p -> p.spec().byteLength(), maxShardBytes);
    }

    /** Writes one shard's tensors, converted, as one safetensors file. */
    void write(List<Planned> shard, Path target, Map<String, String> metadata) {
        SafetensorsWriter.writeStreamed(target, shard.stream().map(Planned::spec).toList(), metadata,
                (index, channel) -> stream(shard.get(index), channel));
    }

    long bytes() {
        return plan.stream().mapToLong(p -> p.spec().byteLength()).sum();
    }

    /** Whether every matrix (the tensors a q8 layout quantizes) is stored as {@code type}. */
    boolean allMatricesAre(GgmlType type) {
        return plan.stream().filter(p -> p.tensor().dims().length == 2).allMatch(p -> p.tensor().type() == type);
    }

    Set<GgmlType> types() {
        Set<GgmlType> types = EnumSet.noneOf(GgmlType.class);
        plan.forEach(p -> types.add(p.tensor().type()));
        return types;
    }

    /** The type most bytes are written in, for config.json's torch_dtype. */
    DType dominantType() {
        Map<DType, Long> bytes = new LinkedHashMap<>();
        plan.forEach(p -> bytes.merge(p.outputType(), p.spec().byteLength(), Long::sum));
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** Q8_0 blocks written so far whose largest |q| is neither 0 nor 127 (see GgufImport). */
    long q8BlocksNotAt127() {
        return q8BlocksNotAt127;
    }

    /** The tensor's rows in Hugging Face order and its output type, a window of GGUF rows mapped at a time. */
    private void stream(Planned p, FileChannel out) throws IOException {
        GgufTensor t = p.tensor();
        long rows = t.rows();
        long rowBytes = t.rowBytes();
        // Windows of whole heads for the rotary projections (their rows move within a head), else of rows.
        int headDim = p.rotaryHeads() > 0 ? (int) (rows / p.rotaryHeads()) : 0;
        long unit = Math.max(1, headDim);
        long windowRows = unit * Math.max(1, Math.min(rows / unit, windowBytes / (unit * rowBytes)));
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.max(p.outputRowBytes(), CHUNK_BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (long first = 0; first < rows; first += windowRows) {
            long count = Math.min(windowRows, rows - first);
            ByteBuffer window = file.data(t, first * rowBytes, count * rowBytes);
            for (long r = 0; r < count; r++) {
                if (chunk.remaining() < p.outputRowBytes()) {
                    flush(chunk, out);
                }
                long row = headDim > 0 ? ggufRowOf((int) r, headDim) : r;
                convertRow(t, first + row, window, (int) (row * rowBytes), chunk);
            }
        }
        flush(chunk, out);
    }

    /** GGUF row {@code row} of {@code t}, at {@code from} in {@code window}, appended to {@code chunk}. */
    private void convertRow(GgufTensor t, long row, ByteBuffer window, int from, ByteBuffer chunk) {
        if (t.type() != GgmlType.Q8_0) {
            chunk.put(window.slice(from, (int) t.rowBytes()));
            return;
        }
        for (long b = 0; b < t.cols() / GgmlType.Q8_0.blockSize(); b++) {
            int block = from + (int) b * GgmlType.Q8_0.blockBytes();
            float scale = HalfFloats.f16ToF32(window.getShort(block));
            // Dequantized, such a block is all NaN or infinite: refused here, as llama.cpp's row validation does,
            // rather than written as weights that fail far from the file (q8) or decode garbage (f32).
            if (!Float.isFinite(scale)) {
                throw new GgufException(file.path() + ": tensor '" + t.name() + "' row " + row + " block " + b
                        + ": Q8_0 scale " + scale + " is not finite (a damaged file?)");
            }
            int largest = 0;
            for (int i = 0; i < GgmlType.Q8_0.blockSize(); i++) {
                byte q = window.get(block + 2 + i);
                largest = Math.max(largest, Math.abs(q));
                chunk.putFloat(q * scale);
            }
            if (largest != 0 && largest != 127) {
                q8BlocksNotAt127++;
            }
        }
    }

    private static void flush(ByteBuffer chunk, FileChannel out) throws IOException {
        chunk.flip();
        while (chunk.hasRemaining()) {
            out.write(chunk);
        }
        chunk.clear();
    }

    /**
     * The GGUF row that holds Hugging Face row {@code r} of a rotary projection: within a head, HF row
     * t * headDim / 2 + j (t = 0, 1) sits at row 2j + t, as llama.cpp's converter arranges it.
     */
    static int ggufRowOf(int r, int headDim) {
        int half = headDim / 2;
        int head = r / headDim;
        int within = r % headDim;
        return head * headDim + 2 * (within % half) + within / half;
    }
}
