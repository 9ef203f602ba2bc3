package dev.stride.decoder.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Builds safetensors files from in-memory tensors (test fixtures, converted checkpoints): tensor data is held on the
 * heap until written. {@link #writeStreamed} writes a file whose tensors are produced one at a time instead. Invalid
 * arguments (duplicate names, data that does not match the shape) throw {@link IllegalArgumentException}; I/O
 * failures throw {@link SafetensorsException}.
 */
public final class SafetensorsWriter {

    private record Entry(String name, DType dtype, long[] shape, byte[] data) {
        TensorSpec spec() {
            return new TensorSpec(name, dtype, shape);
        }
    }

    /** A tensor of a streamed write ({@link #writeStreamed}): its bytes come later, from a {@link TensorData}. */
    public record TensorSpec(String name, DType dtype, long[] shape) {

        public TensorSpec {
            shape = shape.clone();
            elementCount(name, shape);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteLength() {
            return Math.multiplyExact(TensorInfo.elementCount(shape), dtype.byteSize());
        }
    }

    /**
     * Writes the bytes of tensor {@code index} of a streamed write, exactly its {@link TensorSpec#byteLength()}, with
     * relative writes (the channel's position tells how many were written).
     */
    @FunctionalInterface
    public interface TensorData {
        void write(int index, FileChannel out) throws IOException;
    }

    private static final String METADATA_KEY = "__metadata__";
    private static final String SINGLE_FILE = "model.safetensors";
    private static final int HEADER_ALIGNMENT = 8;

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor, converting {@code values} to {@code dtype} with round-to-nearest-even. */
    public SafetensorsWriter putFloats(String name, DType dtype, long[] shape, float[] values) {
        long count = elementCount(name, shape);
        if (count != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has "
                    + count + " elements but " + values.length + " values were given");
        }
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, dtype.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            dtype.putFloat(bytes, values[i]);
            // Narrowing rounds a value past the dtype's largest to infinity: a file that reads back other weights.
            if (Float.isFinite(values[i]) && Float.isInfinite(dtype.getFloat(bytes, i))) {
                throw new IllegalArgumentException("tensor '" + name + "': value " + values[i] + " at index " + i
                        + " is beyond " + dtype + "'s range (it would be written as infinity)");
            }
        }
        return add(new Entry(name, dtype, shape.clone(), bytes.array()));
    }

    /** Adds a tensor whose data is already encoded in {@code dtype}, little-endian. */
    public SafetensorsWriter putRaw(String name, DType dtype, long[] shape, byte[] littleEndianBytes) {
        long expected = Math.multiplyExact(elementCount(name, shape), dtype.byteSize());
        if (expected != littleEndianBytes.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs " + expected + " bytes but " + littleEndianBytes.length + " were given");
        }
        return add(new Entry(name, dtype, shape.clone(), littleEndianBytes.clone()));
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /** Writes all tensors, in insertion order, to one file, atomically. */
    public void write(Path file) {
        writeFile(file, List.copyOf(entries.values()));
    }

    /**
     * Writes shards holding at most {@code maxShardBytes} of tensor data each (a larger tensor gets a shard of its
     * own) as {@code model-0000i-of-0000n.safetensors}, plus {@code model.safetensors.index.json}, into {@code dir}.
     */
    public void writeSharded(Path dir, long maxShardBytes) {
        List<List<Entry>> shards = shards(List.copyOf(entries.values()), e -> e.data().length, maxShardBytes);

        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SafetensorsException("cannot create directory " + dir + ": " + e, e);
        }
        Map<String, String> weightMap = new TreeMap<>();
        long totalSize = 0;
        for (int i = 0; i < shards.size(); i++) {
            String shardName = shardName(i, shards.size());
            writeFile(dir.resolve(shardName), shards.get(i));
            for (Entry entry : shards.get(i)) {
                weightMap.put(entry.name(), shardName);
                totalSize += entry.data().length;
            }
        }
        ShardIndex.write(dir.resolve(ShardIndex.FILE_NAME), totalSize, weightMap);
    }

    /**
     * {@code items} in order, cut into shards of at most {@code maxShardBytes} (an item larger than that gets a shard
     * of its own), as {@link #writeSharded} cuts its tensors.
     */
    public static <T> List<List<T>> shards(List<T> items, ToLongFunction<T> bytes, long maxShardBytes) {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, got " + maxShardBytes);
        }
        List<List<T>> shards = new ArrayList<>();
        List<T> current = new ArrayList<>();
        long currentBytes = 0;
        for (T item : items) {
            long size = bytes.applyAsLong(item);
            if (!current.isEmpty() && currentBytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(item);
            currentBytes += size;
        }
        shards.add(current);
        return shards;
    }

    /** The file name of shard {@code index} (from 0) of {@code count}; {@code model.safetensors} if it is alone. */
    public static String shardName(int index, int count) {
        return count == 1 ? SINGLE_FILE
                : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", index + 1, count);
    }

    /**
     * Writes {@code model.safetensors.index.json} into {@code dir} for shards written one writer at a time (so that a
     * large checkpoint never sits on the heap whole): {@code weightMap} maps each tensor to its shard's file name.
     */
    public static void writeIndex(Path dir, long totalSize, Map<String, String> weightMap) {
        ShardIndex.write(dir.resolve(ShardIndex.FILE_NAME), totalSize, weightMap);
    }

    /**
     * Writes one file whose tensors are produced one at a time by {@code data}, so that neither the checkpoint nor
     * any one tensor has to fit in the heap (or in a Java array): the header from {@code specs}, then each tensor's
     * bytes in order, each checked against its length; atomically, like {@link #write}.
     */
    public static void writeStreamed(Path file, List<TensorSpec> specs, Map<String, String> metadata,
                                     TensorData data) {
        byte[] header = header(file, specs, metadata);
        AtomicFiles.write(file, channel -> {
            AtomicFiles.writeFully(channel, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0, header.length));
            AtomicFiles.writeFully(channel, ByteBuffer.wrap(header));
            for (int i = 0; i < specs.size(); i++) {
                long start = channel.position();
                data.write(i, channel);
                long written = channel.position() - start;
                if (written != specs.get(i).byteLength()) {
                    throw new IllegalStateException("tensor '" + specs.get(i).name() + "': " + written
                            + " bytes written, its shape needs " + specs.get(i).byteLength());
                }
            }
        });
    }

    private SafetensorsWriter add(Entry entry) {
        if (entries.containsKey(entry.name())) {
            throw new IllegalArgumentException("tensor '" + entry.name() + "' was already added");
        }
        entries.put(entry.name(), entry);
        return this;
    }

    private static long elementCount(String name, long[] shape) {
        if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
            throw new IllegalArgumentException("invalid tensor name '" + name + "'");
        }
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape "
                        + Arrays.toString(shape));
            }
        }
        return TensorInfo.elementCount(shape);
    }

    private void writeFile(Path file, List<Entry> tensors) {
        byte[] header = header(file, tensors.stream().map(Entry::spec).toList(), metadata);
        List<ByteBuffer> parts = new ArrayList<>();
        parts.add(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
        parts.add(ByteBuffer.wrap(header));
        for (Entry entry : tensors) {
            parts.add(ByteBuffer.wrap(entry.data()));
        }
        AtomicFiles.write(file, parts);
    }

    /** The JSON header, padded with spaces so tensor data starts 8-byte aligned. */
    private static byte[] header(Path file, List<TensorSpec> tensors, Map<String, String> metadata) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorSpec spec : tensors) {
            if (root.has(spec.name())) {
                throw new IllegalArgumentException("tensor '" + spec.name() + "' appears twice");
            }
            ObjectNode tensor = root.putObject(spec.name());
            tensor.put("dtype", spec.dtype().safetensorsName());
            ArrayNode shape = tensor.putArray("shape");
            for (long dim : spec.shape()) {
                shape.add(dim);
            }
            tensor.putArray("data_offsets").add(offset).add(offset + spec.byteLength());
            offset += spec.byteLength();
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException("cannot encode header for " + file + ": " + e.getMessage(), e);
        }
        int padded = (json.length + HEADER_ALIGNMENT - 1) / HEADER_ALIGNMENT * HEADER_ALIGNMENT;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }
}
