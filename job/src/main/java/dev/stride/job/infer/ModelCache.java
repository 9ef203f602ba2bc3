package dev.stride.job.infer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local copies of model and heads directories given as Hadoop URIs ({@code hdfs://}, {@code s3a://},
 * {@code abfss://}, {@code file://} ...), so the engine can memory-map them.
 *
 * <p>Each request lists the source again (a few files), so a source rewritten in place since an earlier request gets
 * a new copy in a long-lived JVM (a notebook, Spark Connect) instead of the stale one; an unchanged source is copied
 * once per JVM, and concurrent tasks asking for it wait for the one copy. A copy is written into a
 * {@code .partial-*} directory beside its final place and renamed into place in one atomic move, after its total size
 * was checked against the source's listing before and after the copy; a source that changed meanwhile is refused, and
 * an interrupted copy is never used. The final directory's name is a hash of the source's qualified URI, total size
 * and newest modification time, so another JVM on the same host (same cache root) reuses a finished copy after
 * checking its size, and a changed source gets a new copy. The copy keeps the source directory's name (the model's
 * name in the output).
 *
 * <p>The cache root is {@code <first spark.local.dir>/stride-models}, or {@code java.io.tmpdir/stride-models} when
 * {@code spark.local.dir} is unset.
 */
final class ModelCache {

    private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
    private static volatile ModelCache jvm;

    private final Path root;
    private final Configuration hadoop;
    private final Map<Path, Path> copies = new ConcurrentHashMap<>();
    private final AtomicInteger copied = new AtomicInteger();
    /** Test hook: runs after the source was listed, before its files are copied. */
    volatile Runnable afterListing = () -> { };

    ModelCache(Path root, Configuration hadoop) {
        this.root = root;
        this.hadoop = hadoop;
    }

    /** This JVM's cache, configured from the executor's Spark settings (spark.local.dir, spark.hadoop.*). */
    static ModelCache jvm() {
        ModelCache cache = jvm;
        if (cache == null) {
            synchronized (ModelCache.class) {
                if (jvm == null) {
                    SparkEnv env = SparkEnv.get();
                    SparkConf conf = env != null ? env.conf() : new SparkConf();
                    jvm = new ModelCache(root(conf), SparkHadoopUtil.get().newConfiguration(conf));
                }
                cache = jvm;
            }
        }
        return cache;
    }

    static Path root(SparkConf conf) {
        String localDirs = conf.get("spark.local.dir", "").trim();
        String first = localDirs.isEmpty() ? System.getProperty("java.io.tmpdir") : localDirs.split(",")[0].trim();
        return Path.of(first).resolve("stride-models");
    }

    /** The local copy of the directory at {@code uri} as it is now, made on first use of this version in this JVM. */
    Path local(String uri) {
        Source source;
        try {
            source = source(uri);
        } catch (IOException e) {
            throw cannotCopy(uri, e);
        }
        // Keyed by the copy's name, not the URI: the name changes with the source's size and newest file.
        return copies.computeIfAbsent(source.target(), target -> copy(uri, source));
    }

    /** Copies made by this cache (not counting ones reused from another JVM). */
    int copiesMade() {
        return copied.get();
    }

    /** A source directory as listed now, and where its copy goes. */
    private record Source(FileSystem fs, org.apache.hadoop.fs.Path dir, Listing listing, Path target) {
    }

    private Source source(String uri) throws IOException {
        org.apache.hadoop.fs.Path dir = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = dir.getFileSystem(hadoop);
        dir = fs.makeQualified(dir);
        if (!fs.getFileStatus(dir).isDirectory()) {
            throw new IllegalArgumentException(uri + " is not a directory");
        }
        Listing listing = list(fs, dir);
        Path target = root.resolve(hash(dir + "\n" + listing.bytes() + "\n" + listing.newest()));
        return new Source(fs, dir, listing, target);
    }

    private Path copy(String uri, Source listed) {
        try {
            FileSystem fs = listed.fs();
            org.apache.hadoop.fs.Path source = listed.dir();
            Listing listing = listed.listing();
            String name = source.getName();
            Path target = listed.target();
            Path local = target.resolve(name);
            if (Files.isDirectory(local) && sizeOf(local) == listing.bytes()) {
                LOG.info("Using the cached copy of {} in {}", uri, local);
                return local;
            }
            afterListing.run();
            Files.createDirectories(root);
            Path partial = Files.createTempDirectory(root, ".partial-" + target.getFileName() + "-");
            try {
                long started = System.nanoTime();
                String sourcePath = source.toUri().getPath();
                for (LocatedFileStatus file : listing.files()) {
                    String relative = file.getPath().toUri().getPath().substring(sourcePath.length())
                            .replaceFirst("^/+", "");
                    Path destination = partial.resolve(name).resolve(relative).normalize();
                    Files.createDirectories(destination.getParent());
                    try (InputStream in = fs.open(file.getPath())) {
                        Files.copy(in, destination);
                    }
                }
                Files.createDirectories(partial.resolve(name));
                long copiedBytes = sizeOf(partial.resolve(name));
                long sourceNow = list(fs, source).bytes();
                if (copiedBytes != listing.bytes() || sourceNow != listing.bytes()) {
                    throw new IllegalStateException(uri + " changed while it was copied (listed " + listing.bytes()
                            + " bytes, copied " + copiedBytes + ", now " + sourceNow + "); the copy is not used");
                }
                try {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                    // Another JVM on this host finished the same copy first.
                    if (!(Files.isDirectory(local) && sizeOf(local) == listing.bytes())) {
                        throw new IllegalStateException(target + " exists but does not hold a complete copy of "
                                + uri + "; delete it", raced);
                    }
                    deleteRecursively(partial);
                }
                copied.incrementAndGet();
                LOG.info("Copied {} ({} files, {} bytes) to {} in {} ms", uri, listing.files().size(),
                        listing.bytes(), local, (System.nanoTime() - started) / 1_000_000);
                return local;
            } finally {
                if (Files.exists(partial)) {
                    deleteRecursively(partial);
                }
            }
        } catch (IOException e) {
            throw cannotCopy(uri, e);
        }
    }

    private static UncheckedIOException cannotCopy(String uri, IOException e) {
        return new UncheckedIOException("cannot copy the model directory " + uri + ": " + e.getMessage(), e);
    }

    private record Listing(List<LocatedFileStatus> files, long bytes, long newest) {
    }

    private static Listing list(FileSystem fs, org.apache.hadoop.fs.Path dir) throws IOException {
        List<LocatedFileStatus> files = new ArrayList<>();
        long bytes = 0;
        long newest = 0;
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            LocatedFileStatus file = it.next();
            files.add(file);
            bytes += file.getLen();
            newest = Math.max(newest, file.getModificationTime());
        }
        return new Listing(files, bytes, newest);
    }

    private static long sizeOf(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long total = 0;
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(file);
            }
            return total;
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            LOG.warn("Could not delete {}: {}", dir, e.getMessage());
        }
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
