package dev.stride.job.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.JobRuns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copies of model directories given as Hadoop URIs, through Hadoop's local FileSystem (no network). */
class ModelCacheTest {

    @TempDir
    Path tmp;
    private Path source;
    private String uri;

    @BeforeEach
    void sourceModel() throws IOException {
        source = Files.createDirectories(tmp.resolve("remote/fortunes"));
        try (Stream<Path> files = Files.list(JobRuns.FIXTURE)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, source.resolve(file.getFileName()));
            }
        }
        Files.createDirectories(source.resolve("extra"));
        Files.writeString(source.resolve("extra/notes.txt"), "nested files are copied too");
        uri = source.toUri().toString();
        assertTrue(uri.startsWith("file:/"), uri);
    }

    @Test
    void aFileUriIsCopiedOnceWithItsNameAndBytes() throws IOException {
        ModelCache cache = new ModelCache(tmp.resolve("cache"), new Configuration());
        Path local = cache.local(uri);
        assertEquals("fortunes", local.getFileName().toString());
        assertTrue(local.startsWith(tmp.resolve("cache")));
        assertSameTree(source, local);
        assertSame(local, cache.local(uri));
        assertEquals(1, cache.copiesMade());
        assertEquals(List.of(), partials(tmp.resolve("cache")));
    }

    @Test
    void rawLocalFileSystemWorksAndAnotherJvmReusesTheFinishedCopy() throws IOException {
        Configuration raw = new Configuration();
        raw.set("fs.file.impl", RawLocalFileSystem.class.getName());
        raw.setBoolean("fs.file.impl.disable.cache", true);
        Path first = new ModelCache(tmp.resolve("cache"), raw).local(uri);
        assertSameTree(source, first);
        // A second cache over the same root stands for a second executor JVM on the host.
        ModelCache second = new ModelCache(tmp.resolve("cache"), raw);
        assertEquals(first, second.local(uri));
        assertEquals(0, second.copiesMade());
    }

    @Test
    void twoThreadsAskingAtOnceGetOneCopy() throws Exception {
        ModelCache cache = new ModelCache(tmp.resolve("cache"), new Configuration());
        CountDownLatch bothAsked = new CountDownLatch(2);
        cache.afterListing = () -> sleep(300);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Path>> results = pool.invokeAll(List.of(() -> {
                bothAsked.countDown();
                bothAsked.await();
                return cache.local(uri);
            }, () -> {
                bothAsked.countDown();
                bothAsked.await();
                return cache.local(uri);
            }));
            assertEquals(results.get(0).get(), results.get(1).get());
        } finally {
            pool.shutdown();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertEquals(1, cache.copiesMade());
        try (Stream<Path> entries = Files.list(tmp.resolve("cache"))) {
            assertEquals(1, entries.count(), "one copy, no partial left");
        }
    }

    @Test
    void aSourceThatChangesWhileCopiedIsRefusedAndNothingIsLeft() throws IOException {
        ModelCache cache = new ModelCache(tmp.resolve("cache"), new Configuration());
        cache.afterListing = () -> append(source.resolve("config.json"), "\n");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> cache.local(uri));
        assertTrue(refused.getMessage().contains("changed while it was copied"), refused.getMessage());
        assertTrue(refused.getMessage().contains(uri), refused.getMessage());
        assertEquals(List.of(), partials(tmp.resolve("cache")));
        try (Stream<Path> entries = Files.list(tmp.resolve("cache"))) {
            assertEquals(0, entries.count(), "neither a partial nor a final copy");
        }
        // Once the source is stable again, the next request copies it (a failure is not cached).
        cache.afterListing = () -> { };
        assertSameTree(source, cache.local(uri));
    }

    @Test
    void aChangedSourceGetsANewCopyNotTheStaleOne() throws IOException {
        Path before = new ModelCache(tmp.resolve("cache"), new Configuration()).local(uri);
        append(source.resolve("extra/notes.txt"), " and changed");
        Path after = new ModelCache(tmp.resolve("cache"), new Configuration()).local(uri);
        assertFalse(before.equals(after));
        assertSameTree(source, after);
    }

    @Test
    void aSourceChangedAfterItWasCopiedIsCopiedAgainByTheSameCache() throws IOException {
        // One cache stands for a long-lived executor JVM: a notebook or Spark Connect session over many jobs.
        ModelCache cache = new ModelCache(tmp.resolve("cache"), new Configuration());
        Path before = cache.local(uri);
        append(source.resolve("extra/notes.txt"), " and changed");
        Path after = cache.local(uri);
        assertFalse(before.equals(after));
        assertSameTree(source, after);
        assertEquals(2, cache.copiesMade());
        assertSame(after, cache.local(uri), "an unchanged source is not copied again");
        assertEquals(2, cache.copiesMade());
    }

    @Test
    void theCacheRootIsTheFirstSparkLocalDirElseTheTempDir() {
        assertEquals(Path.of("/data1/spark/stride-models"),
                ModelCache.root(new SparkConf(false).set("spark.local.dir", "/data1/spark, /data2/spark")));
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "stride-models"),
                ModelCache.root(new SparkConf(false)));
    }

    @Test
    void uriOrPath() {
        for (String uri : List.of("hdfs://nn:8020/models/m", "s3a://bucket/m", "abfss://c@a.dfs.core.windows.net/m",
                "file:///models/m", "file:/models/m")) {
            assertTrue(ModelLocation.isUri(uri), uri);
        }
        for (String path : List.of("models/m", "/models/m", "model", "C:/models/m", "./x:/y")) {
            assertFalse(ModelLocation.isUri(path), path);
        }
    }

    private static void assertSameTree(Path expected, Path actual) throws IOException {
        List<Path> expectedFiles = files(expected);
        assertEquals(expectedFiles, files(actual));
        for (Path file : expectedFiles) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(file)), Files.readAllBytes(actual.resolve(file)),
                    file.toString());
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(dir::relativize).sorted().toList();
        }
    }

    private static List<Path> partials(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(e -> e.getFileName().toString().startsWith(".partial-")).toList();
        }
    }

    private static void append(Path file, String text) {
        try {
            Files.writeString(file, text, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
