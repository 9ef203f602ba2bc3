package dev.stride.decoder.gguf;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (format versions 2 and 3, little-endian): its metadata and tensor directory, read when it opens, and
 * the data of one tensor at a time, memory-mapped on request. Layout: the magic "GGUF", the version, the tensor and
 * metadata counts (64-bit), the typed key/value pairs, one entry per tensor (name, dimensions innermost first, type,
 * offset into the data section), then the data section, starting at the next multiple of {@code general.alignment}
 * (32 by default). Every error names the file and the key or tensor at fault.
 */
public final class GgufFile implements AutoCloseable {

    /** "GGUF" read as a little-endian 32-bit integer. */
    static final int MAGIC = 0x46554747;
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml's limit on a tensor's dimensions. */
    private static final int MAX_DIMS = 4;

    /** Metadata value types, by their numbers in the format. */
    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    private final Path file;
    private final FileChannel channel;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufTensor> tensors;

    private GgufFile(Path file, FileChannel channel, int version, Map<String, Object> metadata,
                     Map<String, GgufTensor> tensors) {
        this.file = file;
        this.channel = channel;
        this.version = version;
        this.metadata = metadata;
        this.tensors = tensors;
    }

    /** Opens and validates {@code file}: header, metadata, and that every tensor's data lies inside the file. */
    public static GgufFile open(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new GgufException(file + ": does not exist", e);
        } catch (IOException e) {
            throw new GgufException(file + ": cannot open: " + e, e);
        }
        try {
            long size = channel.size();
            // Metadata never nears 2 GB; mapping the first part suffices to read everything before the data.
            ByteBuffer header = channel.map(FileChannel.MapMode.READ_ONLY, 0, Math.min(size, Integer.MAX_VALUE))
                    .order(ByteOrder.LITTLE_ENDIAN);
            return read(file, channel, header, size);
        } catch (IOException e) {
            close(channel, e);
            throw new GgufException(file + ": cannot read: " + e, e);
        } catch (RuntimeException e) {
            close(channel, e);
            throw e;
        }
    }

    private static GgufFile read(Path file, FileChannel channel, ByteBuffer in, long size) {
        Reader reader = new Reader(file, in);
        try {
            int magic = in.getInt();
            if (magic != MAGIC) {
                throw new GgufException(file + ": not a GGUF file (starts with 0x" + Integer.toHexString(magic)
                        + ", expected the bytes 'GGUF')");
            }
            int version = in.getInt();
            if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
                throw new GgufException(file + ": a big-endian GGUF file; Stride reads little-endian ones");
            }
            if (version != 2 && version != 3) {
                throw new GgufException(file + ": GGUF version " + version + " is not supported (2 and 3 are)");
            }
            long tensorCount = reader.count("tensor count");
            long kvCount = reader.count("metadata count");
            Map<String, Object> metadata = new LinkedHashMap<>();
            for (long i = 0; i < kvCount; i++) {
                String key = reader.string("metadata key " + i);
                int type = in.getInt();
                if (metadata.put(key, reader.value(type, key)) != null) {
                    throw new GgufException(file + ": metadata key '" + key + "' appears twice");
                }
            }
            List<GgufTensor> infos = new ArrayList<>();
            for (long i = 0; i < tensorCount; i++) {
                infos.add(reader.tensorInfo(i));
            }
            long alignment = alignment(file, metadata);
            long dataStart = (in.position() + alignment - 1) / alignment * alignment;
            Map<String, GgufTensor> tensors = new LinkedHashMap<>();
            for (GgufTensor info : infos) {
                if (info.offset() % alignment != 0) {
                    throw new GgufException(file + ": tensor '" + info.name() + "' starts at data offset "
                            + info.offset() + ", not a multiple of the alignment " + alignment);
                }
                // Room first: size - dataStart - byteLength alone can overflow (a file that ends before its data
                // section, a tensor of nearly 2^63 bytes) and come out as room to spare.
                if (info.offset() < 0 || info.byteLength() > size - dataStart
                        || info.offset() > size - dataStart - info.byteLength()) {
                    throw new GgufException(file + ": tensor '" + info.name() + "' (" + info.byteLength()
                            + " bytes at data offset " + Long.toUnsignedString(info.offset())
                            + ") runs past the end of the file (" + size + " bytes): truncated?");
                }
                GgufTensor placed = info.placedAt(dataStart);
                if (tensors.put(info.name(), placed) != null) {
                    throw new GgufException(file + ": tensor '" + info.name() + "' appears twice");
                }
            }
            return new GgufFile(file, channel, version, Collections.unmodifiableMap(metadata),
                    Collections.unmodifiableMap(tensors));
        } catch (BufferUnderflowException e) {
            throw new GgufException(file + ": ends inside its header (truncated?)", e);
        }
    }

    private static long alignment(Path file, Map<String, Object> metadata) {
        Object value = metadata.get("general.alignment");
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long a) || a <= 0 || (a & (a - 1)) != 0) {
            throw new GgufException(file + ": general.alignment must be a power of two, got " + value);
        }
        return a;
    }

    /**
     * Sequential reads of the header's little-endian fields. Keys and tensor names must be valid UTF-8; string
     * values (hundreds of thousands of tokens) are decoded leniently, so one odd token cannot make a file unreadable.
     */
    private record Reader(Path file, ByteBuffer in, CharsetDecoder strict, CharsetDecoder lenient) {

        Reader(Path file, ByteBuffer in) {
            this(file, in, StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT),
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                            .onUnmappableCharacter(CodingErrorAction.REPLACE));
        }

        long count(String what) {
            long n = in.getLong();
            if (n < 0 || n > in.remaining()) {
                throw new GgufException(file + ": " + what + " " + Long.toUnsignedString(n)
                        + " cannot fit in the file (corrupt header?)");
            }
            return n;
        }

        /** A key or a name; {@code what} names it for errors. */
        String string(String what) {
            try {
                return strict.decode(bytes(what)).toString();
            } catch (CharacterCodingException e) {
                throw new GgufException(file + ": " + what + " is not valid UTF-8", e);
            }
        }

        private String value() {
            try {
                return lenient.decode(bytes("a string value")).toString();
            } catch (CharacterCodingException e) {
                throw new IllegalStateException("a replacing decoder reported " + e, e);
            }
        }

        private ByteBuffer bytes(String what) {
            int length = (int) count("length of " + what);
            ByteBuffer bytes = in.slice(in.position(), length);
            in.position(in.position() + length);
            return bytes;
        }

        /** Integers as Long, FLOAT32 as Float, FLOAT64 as Double, BOOL as Boolean, arrays as lists. */
        Object value(int type, String key) {
            return switch (type) {
                case UINT8 -> (long) Byte.toUnsignedInt(in.get());
                case INT8 -> (long) in.get();
                case UINT16 -> (long) Short.toUnsignedInt(in.getShort());
                case INT16 -> (long) in.getShort();
                case UINT32 -> Integer.toUnsignedLong(in.getInt());
                case INT32 -> (long) in.getInt();
                case UINT64, INT64 -> in.getLong();
                case FLOAT32 -> in.getFloat();
                case FLOAT64 -> in.getDouble();
                case BOOL -> in.get() != 0;
                case STRING -> value();
                case ARRAY -> {
                    int elementType = in.getInt();
                    if (elementType == ARRAY) {
                        throw new GgufException(file + ": metadata '" + key + "' is an array of arrays (unsupported)");
                    }
                    long n = count("length of '" + key + "'");
                    List<Object> list = new ArrayList<>((int) Math.min(n, 1 << 16));
                    for (long i = 0; i < n; i++) {
                        list.add(value(elementType, key));
                    }
                    yield Collections.unmodifiableList(list);
                }
                default -> throw new GgufException(file + ": metadata '" + key + "' has unknown value type " + type);
            };
        }

        GgufTensor tensorInfo(long index) {
            String name = string("name of tensor " + index);
            int dims = in.getInt();
            if (dims < 1 || dims > MAX_DIMS) {
                throw new GgufException(file + ": tensor '" + name + "' has " + dims + " dimensions (1-"
                        + MAX_DIMS + " allowed)");
            }
            long[] shape = new long[dims];
            for (int d = 0; d < dims; d++) {
                shape[d] = in.getLong();
                if (shape[d] <= 0) {
                    throw new GgufException(file + ": tensor '" + name + "' has dimension " + d + " = "
                            + shape[d]);
                }
            }
            GgmlType type = GgmlType.of(in.getInt(), file + ": tensor '" + name + "'");
            long offset = in.getLong();
            try {
                return GgufTensor.of(name, shape, type, offset, file.toString());
            } catch (ArithmeticException e) {
                throw new GgufException(file + ": tensor '" + name + "' is impossibly large", e);
            }
        }
    }

    public Path path() {
        return file;
    }

    public int version() {
        return version;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** Tensors by name, in the file's order. */
    public Map<String, GgufTensor> tensors() {
        return tensors;
    }

    public Optional<GgufTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** A metadata value that must be present and of {@code type}; the error names the key and the file. */
    public <T> T require(String key, Class<T> type) {
        return optional(key, type).orElseThrow(() -> new GgufException(file + ": missing metadata '" + key + "'"));
    }

    public <T> Optional<T> optional(String key, Class<T> type) {
        Object value = metadata.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (!type.isInstance(value)) {
            throw new GgufException(file + ": metadata '" + key + "' should be " + type.getSimpleName()
                    + " but is " + value.getClass().getSimpleName() + " (" + value + ")");
        }
        return Optional.of(type.cast(value));
    }

    /** An integer that must fit an int, e.g. a dimension. */
    public int requireInt(String key) {
        return toInt(key, require(key, Long.class));
    }

    public Optional<Integer> optionalInt(String key) {
        return optional(key, Long.class).map(v -> toInt(key, v));
    }

    /** A number (float32, float64, or an integer) as double. */
    public Optional<Double> optionalReal(String key) {
        Object value = metadata.get(key);
        if (value != null && !(value instanceof Number)) {
            throw new GgufException(file + ": metadata '" + key + "' should be a number but is " + value);
        }
        return Optional.ofNullable((Number) value).map(Number::doubleValue);
    }

    private int toInt(String key, long value) {
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new GgufException(file + ": metadata '" + key + "' = " + value + " is out of range");
        }
        return (int) value;
    }

    /** The tensor's bytes: a read-only little-endian view of the mapped file, position 0. */
    public ByteBuffer data(GgufTensor tensor) {
        return data(tensor, 0, tensor.byteLength());
    }

    /** Bytes [from, from + length) of the tensor's data (under 2 GB at a time), mapped as {@link #data(GgufTensor)}. */
    public ByteBuffer data(GgufTensor tensor, long from, long length) {
        if (from < 0 || length < 0 || length > Integer.MAX_VALUE || from > tensor.byteLength() - length) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "': bytes [" + from + ", +" + length
                    + ") of " + tensor.byteLength() + " (at most 2 GB at a time)");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, tensor.offset() + from, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new GgufException(file + ": cannot map tensor '" + tensor.name() + "': " + e, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new GgufException(file + ": cannot close: " + e, e);
        }
    }

    private static void close(FileChannel channel, Exception cause) {
        try {
            channel.close();
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }
}
