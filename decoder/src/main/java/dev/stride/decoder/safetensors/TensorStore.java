package dev.stride.decoder.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Read access to the tensors of a safetensors checkpoint, single file or sharded. Headers are validated when the
 * store opens; tensor data is memory-mapped one tensor at a time on first use, so files larger than 2 GB work and
 * nothing is copied onto the heap. Thread-safe.
 */
public final class TensorStore implements AutoCloseable {

    private static final String SINGLE_FILE_NAME = "model.safetensors";

    private final String source;
    private final Map<Path, FileChannel> channels;
    private final SortedMap<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final ConcurrentMap<String, ByteBuffer> mapped = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private TensorStore(String source, Map<Path, FileChannel> channels, SortedMap<String, TensorInfo> tensors,
                        Map<String, String> metadata) {
        this.source = source;
        this.channels = channels;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Opens a Hugging Face model directory: {@code model.safetensors} if present, else
     * {@code model.safetensors.index.json} and the shards its {@code weight_map} names.
     */
    public static TensorStore openDirectory(Path modelDir) {
        Path single = modelDir.resolve(SINGLE_FILE_NAME);
        if (Files.isRegularFile(single)) {
            return openFile(single);
        }
        Path index = modelDir.resolve(ShardIndex.FILE_NAME);
        if (!Files.isRegularFile(index)) {
            throw new SafetensorsException("model directory " + modelDir + " contains neither " + SINGLE_FILE_NAME
                    + " nor " + ShardIndex.FILE_NAME);
        }
        return openSharded(modelDir, index);
    }

    public static TensorStore openFile(Path file) {
        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            SafetensorsHeader header = openInto(channels, file);
            return new TensorStore(SafetensorsHeader.where(file), channels, new TreeMap<>(header.tensors()),
                    header.metadata());
        } catch (RuntimeException e) {
            closeAll(channels.values(), e);
            throw e;
        }
    }

    private static TensorStore openSharded(Path dir, Path index) {
        Map<String, String> weightMap = ShardIndex.readWeightMap(index);
        // Group by shard (sorted by file name) so each shard's header is read once, in a stable order.
        SortedMap<String, List<String>> tensorsByShard = new TreeMap<>();
        weightMap.forEach((tensor, shard) -> tensorsByShard.computeIfAbsent(shard, s -> new ArrayList<>())
                .add(tensor));

        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            SortedMap<String, TensorInfo> tensors = new TreeMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> entry : tensorsByShard.entrySet()) {
                Path shardFile = dir.resolve(entry.getKey());
                if (!Files.isRegularFile(shardFile)) {
                    throw new SafetensorsException("safetensors index " + index + " maps tensor '"
                            + entry.getValue().get(0) + "' to shard " + entry.getKey() + ", but " + shardFile
                            + " does not exist");
                }
                SafetensorsHeader header = openInto(channels, shardFile);
                for (String tensor : entry.getValue()) {
                    TensorInfo info = header.tensors().get(tensor);
                    if (info == null) {
                        throw new SafetensorsException("safetensors index " + index + " maps tensor '" + tensor
                                + "' to shard " + shardFile + ", but that file has no such tensor");
                    }
                    tensors.put(tensor, info);
                }
                header.metadata().forEach(metadata::putIfAbsent); // first shard by name wins on conflicting keys
            }
            return new TensorStore("safetensors index " + index, channels, tensors,
                    Collections.unmodifiableMap(metadata));
        } catch (RuntimeException e) {
            closeAll(channels.values(), e);
            throw e;
        }
    }

    /** Opens {@code file}, registers its channel in {@code channels} for the caller to close, and reads its header. */
    private static SafetensorsHeader openInto(Map<Path, FileChannel> channels, Path file) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channels.put(file, channel);
            return SafetensorsHeader.read(file, channel);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(SafetensorsHeader.where(file) + ": does not exist", e);
        } catch (IOException e) {
            throw new SafetensorsException(SafetensorsHeader.where(file) + ": cannot read: " + e, e);
        }
    }

    /** Tensor names, sorted. */
    public Set<String> names() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new SafetensorsException("tensor '" + name + "' not found in " + source
                    + " (" + tensors.size() + " tensors)");
        }
        return info;
    }

    /** The tensor's info, after checking it exists and has exactly {@code expectedShape}. */
    public TensorInfo require(String name, long... expectedShape) {
        if (!contains(name)) {
            throw new SafetensorsException("tensor '" + name + "' with expected shape "
                    + Arrays.toString(expectedShape) + " not found in " + source);
        }
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new SafetensorsException(SafetensorsHeader.where(info.file(), name) + ": expected shape "
                    + Arrays.toString(expectedShape) + " but found " + info.shapeString());
        }
        return info;
    }

    /**
     * The tensor's bytes: a read-only little-endian view of the mapped file with position 0 and limit = byte length.
     * Each call returns a fresh view of one cached mapping, so callers may move its position freely.
     */
    public ByteBuffer data(String name) {
        TensorInfo info = info(name);
        if (closed) {
            throw new SafetensorsException("cannot map tensor '" + name + "': the TensorStore for " + source
                    + " is closed");
        }
        return mapped.computeIfAbsent(name, n -> map(info)).duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The whole tensor converted to float32; meant for small tensors such as norms and biases. */
    public float[] readFloats(String name) {
        TensorInfo info = info(name);
        ByteBuffer data = data(name);
        float[] values = new float[(int) info.elementCount()]; // fits: the mapping is at most 2^31-1 bytes
        for (int i = 0; i < values.length; i++) {
            values[i] = info.dtype().getFloat(data, i);
        }
        return values;
    }

    /** The {@code __metadata__} entries of all files; for shards, the first shard by file name wins on conflicts. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() {
        closed = true;
        mapped.clear(); // mappings stay valid while referenced; dropping ours lets the GC unmap them
        SafetensorsException failure = null;
        for (Map.Entry<Path, FileChannel> entry : channels.entrySet()) {
            try {
                entry.getValue().close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = new SafetensorsException("cannot close " + entry.getKey() + ": " + e, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private ByteBuffer map(TensorInfo info) {
        String where = SafetensorsHeader.where(info.file(), info.name());
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(where + ": " + info.byteLength() + " bytes cannot be mapped; Java 17 "
                    + "ByteBuffers hold at most " + Integer.MAX_VALUE + " bytes (2 GiB - 1) per tensor");
        }
        try {
            return channels.get(info.file()).map(FileChannel.MapMode.READ_ONLY, info.dataOffset(), info.byteLength());
        } catch (IOException e) {
            throw new SafetensorsException(where + ": cannot map tensor data: " + e, e);
        }
    }

    private static void closeAll(Iterable<FileChannel> channels, RuntimeException failure) {
        for (FileChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }
}
