package dev.stride.job.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.stride.job.config.JobSetupException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run at a time per --output: {@code <output>/_stride/lock} names the run that holds it. Without it, a
 * {@code --resume} started beside a live run (a scheduler's retry while the first attempt still runs) published the
 * live run's staged files as a dead run's leftovers and generated its rows a second time, and two fresh runs
 * could both find the output absent and publish into it.
 *
 * <p>The file is created only if absent (atomic on HDFS and local file systems). Its holder rewrites it every
 * {@link #HEARTBEAT}; a lock not rewritten for {@link #STALE_AFTER} belongs to a driver that died without releasing
 * it and is taken over, so that a killed run never needs a person before the next {@code --resume}. Before it
 * publishes, the run checks that the lock still names it. What no file-system lock excludes: a holder that stalls
 * for longer than {@link #STALE_AFTER} (the lock is then taken over; its publish refuses), and on object stores
 * without atomic create-if-absent, two runs starting in the same instant.
 */
public final class OutputLock implements AutoCloseable {

    static final Duration HEARTBEAT = Duration.ofSeconds(30);
    static final Duration STALE_AFTER = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** What the lock file holds; {@code heartbeatAt} is the holder's clock at its last rewrite, in epoch ms. */
    record Holder(String runId, String applicationId, String host, long heartbeatAt) {
        String describe(Instant now) {
            return "run " + runId + " (Spark application " + applicationId + " on " + host + ", last seen "
                    + Duration.ofMillis(now.toEpochMilli() - heartbeatAt).toSeconds() + " s ago)";
        }
    }

    private final FileSystem fs;
    private final Path output;
    private final Path file;
    private final Holder self;
    private final Clock clock;
    private final boolean createdOutput;
    private final boolean createdStrideFolder;
    private ScheduledExecutorService heartbeat;

    private OutputLock(FileSystem fs, Path output, Holder self, Clock clock, boolean createdOutput,
                       boolean createdStrideFolder) {
        this.fs = fs;
        this.output = output;
        this.file = lockFile(output);
        this.self = self;
        this.clock = clock;
        this.createdOutput = createdOutput;
        this.createdStrideFolder = createdStrideFolder;
    }

    /**
     * Takes the lock of {@code output} for a run and keeps it fresh until {@link #close}; a
     * {@link JobSetupException} names the live run that holds it.
     */
    public static OutputLock acquire(Configuration conf, String output, String runId, String applicationId) {
        OutputLock lock = take(conf, new Path(output), runId, applicationId, Clock.systemUTC());
        lock.heartbeat = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("stride-output-lock"));
        lock.heartbeat.scheduleWithFixedDelay(lock::beatLogged, HEARTBEAT.toMillis(), HEARTBEAT.toMillis(),
                TimeUnit.MILLISECONDS);
        return lock;
    }

    /** The lock without its heartbeat thread: {@link #beat} is then called by the caller (tests). */
    static OutputLock take(Configuration conf, Path output, String runId, String applicationId, Clock clock) {
        try {
            FileSystem fs = output.getFileSystem(conf);
            Path file = lockFile(output);
            boolean createdOutput = !fs.exists(output);
            boolean createdStrideFolder = !fs.exists(file.getParent());
            Holder self = new Holder(runId, applicationId, hostName(), clock.millis());
            OutputLock lock = new OutputLock(fs, output, self, clock, createdOutput, createdStrideFolder);
            Holder other = lock.read();
            if (other != null) {
                Instant now = clock.instant();
                if (now.toEpochMilli() - other.heartbeatAt() < STALE_AFTER.toMillis()) {
                    throw new JobSetupException("output " + output + " is in use by " + other.describe(now)
                            + "; wait for it to finish, or stop it first. A run that died leaves " + file
                            + ", which the next run takes over once it is " + STALE_AFTER.toMinutes() + " minutes old");
                }
                LOG.warn("taking over {}: {} stopped renewing it", file, other.describe(now));
                fs.delete(file, false);
            }
            lock.create();
            return lock;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take the lock of output " + output + ": " + e.getMessage(), e);
        }
    }

    /** Fails when another run has taken this run's lock over; called before publishing into the output. */
    public synchronized void requireHeld() {
        try {
            Holder holder = read();
            if (holder == null || !holder.runId().equals(self.runId())) {
                throw new IllegalStateException("run " + self.runId() + " lost the lock of output " + output + " to "
                        + (holder == null ? "no run (" + file + " was deleted)" : holder.describe(clock.instant()))
                        + "; nothing was published");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Rewrites the lock with the time now, unless another run holds it (then it is left to that run). Synchronized
     * with the reads of this run: a rewrite leaves the file empty for a moment, which a read would take for a lock
     * of an unknown run.
     */
    synchronized void beat() throws IOException {
        Holder holder = read();
        if (holder != null && holder.runId().equals(self.runId())) {
            write(new Holder(self.runId(), self.applicationId(), self.host(), clock.millis()), true);
        }
    }

    /** Stops renewing and deletes the lock if it is still this run's, and the folders that taking it created. */
    @Override
    public synchronized void close() {
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        try {
            Holder holder = read();
            if (holder != null && holder.runId().equals(self.runId())) {
                fs.delete(file, false);
            }
            // A run that stopped before writing anything leaves the output as it found it: absent, so that the
            // next run need not be a --resume.
            if (createdStrideFolder && isEmpty(file.getParent()) && fs.delete(file.getParent(), false)
                    && createdOutput && isEmpty(output)) {
                fs.delete(output, false);
            }
        } catch (IOException e) {
            LOG.warn("could not release {}: {}", file, e.toString());
        }
    }

    static Path lockFile(Path output) {
        return new Path(new Path(output, "_stride"), "lock");
    }

    private void beatLogged() {
        try {
            beat();
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not renew {}: {}", file, e.toString());
        }
    }

    private void create() throws IOException {
        try {
            write(self, false);
        } catch (FileAlreadyExistsException e) {
            Holder other = read();
            throw new JobSetupException("output " + output + " is in use by "
                    + (other == null ? "another run" : other.describe(clock.instant())) + ": it took " + file
                    + " at the same moment as this run");
        }
    }

    private void write(Holder holder, boolean overwrite) throws IOException {
        try (OutputStream out = fs.create(file, overwrite)) {
            out.write(JSON.writeValueAsBytes(holder));
        }
    }

    /**
     * The holder, or null when there is no lock. A lock that cannot be parsed (its driver died while writing it)
     * counts as written at its modification time.
     */
    private Holder read() throws IOException {
        try (InputStream in = fs.open(file)) {
            return JSON.readValue(in, Holder.class);
        } catch (FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            if (!fs.exists(file)) {
                return null;
            }
            return new Holder("unknown", "unknown", "unknown", fs.getFileStatus(file).getModificationTime());
        }
    }

    private boolean isEmpty(Path folder) throws IOException {
        return fs.exists(folder) && fs.listStatus(folder).length == 0;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an unknown host";
        }
    }
}
