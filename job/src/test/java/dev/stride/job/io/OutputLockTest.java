package dev.stride.job.io;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run at a time per output; a dead run's lock is taken over once stale; releasing leaves no trace. */
class OutputLockTest {

    private static final Instant T0 = Instant.parse("2026-12-06T02:00:00Z");

    @TempDir
    Path dir;

    private final Configuration conf = new Configuration();
    private final MovingClock clock = new MovingClock(T0);

    @Test
    void aSecondRunIsRefusedWhileTheFirstHoldsTheLock() throws IOException {
        Path output = dir.resolve("out");
        OutputLock first = take(output, "run-a");
        clock.advance(OutputLock.STALE_AFTER.minusSeconds(1));
        JobSetupException refused = assertThrows(JobSetupException.class, () -> take(output, "run-b"));
        assertTrue(refused.getMessage().contains("in use by run run-a (Spark application app-run-a"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("last seen 299 s ago"), refused.getMessage());
        first.requireHeld();
        assertTrue(lockText(output).contains("\"run_id\":\"run-a\""), lockText(output));
    }

    @Test
    void renewingKeepsTheLockFromGoingStale() throws IOException {
        Path output = dir.resolve("out");
        OutputLock first = take(output, "run-a");
        clock.advance(OutputLock.STALE_AFTER.minusMinutes(1));
        first.beat();
        clock.advance(Duration.ofMinutes(2)); // six minutes after taking it, two after the renewal
        assertThrows(JobSetupException.class, () -> take(output, "run-b"));
    }

    @Test
    void aLockNotRenewedForFiveMinutesIsTakenOverAndItsHolderMayNotPublish() throws IOException {
        Path output = dir.resolve("out");
        OutputLock dead = take(output, "run-a");
        clock.advance(OutputLock.STALE_AFTER.plusSeconds(1));
        OutputLock next = take(output, "run-b");
        next.requireHeld();

        IllegalStateException lost = assertThrows(IllegalStateException.class, dead::requireHeld);
        assertTrue(lost.getMessage().contains("run run-a lost the lock of output"), lost.getMessage());
        assertTrue(lost.getMessage().contains("to run run-b"), lost.getMessage());
        dead.beat();
        dead.close();
        assertTrue(lockText(output).contains("\"run_id\":\"run-b\""), "the stalled run left the new lock alone");
        next.requireHeld();
    }

    @Test
    void releasingLeavesAnOutputThatDidNotExistAbsent() throws IOException {
        Path output = dir.resolve("nested/out");
        take(output, "run-a").close();
        assertFalse(Files.exists(output));
        assertTrue(Files.exists(dir.resolve("nested")), "only what taking the lock created is removed");
    }

    @Test
    void releasingKeepsAnOutputAndItsSummaryFolder() throws IOException {
        Path output = dir.resolve("out");
        Files.createDirectories(output.resolve("_stride"));
        Files.writeString(output.resolve("_stride/summary.json"), "{}");
        take(output, "run-a").close();
        assertTrue(Files.exists(output.resolve("_stride/summary.json")));
        assertFalse(Files.exists(output.resolve("_stride/lock")));

        Path bare = dir.resolve("bare");
        Files.createDirectories(bare);
        Files.writeString(bare.resolve("part-0.parquet"), "x");
        take(bare, "run-b").close();
        assertFalse(Files.exists(bare.resolve("_stride")), "the _stride folder taking the lock made is removed");
        assertTrue(Files.exists(bare.resolve("part-0.parquet")));
    }

    @Test
    void anUnreadableLockCountsFromItsModificationTime() throws IOException {
        Path output = dir.resolve("out");
        Path lock = output.resolve("_stride/lock");
        Files.createDirectories(lock.getParent());
        Files.writeString(lock, "{\"run_id\":", StandardCharsets.UTF_8); // a driver died while writing it
        Files.setLastModifiedTime(lock, FileTime.from(T0.minusSeconds(10)));
        JobSetupException refused = assertThrows(JobSetupException.class, () -> take(output, "run-b"));
        assertTrue(refused.getMessage().contains("in use by run unknown"), refused.getMessage());

        Files.setLastModifiedTime(lock, FileTime.from(T0.minus(OutputLock.STALE_AFTER).minusSeconds(1)));
        take(output, "run-b").requireHeld();
    }

    @Test
    void aReleasedLockIsFreeAtOnce() throws IOException {
        Path output = dir.resolve("out");
        take(output, "run-a").close();
        OutputLock next = take(output, "run-b");
        next.requireHeld();
        next.close();
        assertFalse(Files.exists(output.resolve("_stride/lock")));
    }

    private OutputLock take(Path output, String runId) {
        return OutputLock.take(conf, new org.apache.hadoop.fs.Path(output.toUri()), runId, "app-" + runId, clock);
    }

    private static String lockText(Path output) throws IOException {
        return Files.readString(output.resolve("_stride/lock"));
    }

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        private Instant now;

        MovingClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
