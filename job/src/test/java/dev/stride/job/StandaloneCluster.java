package dev.stride.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on loopback: one master and {@code workers} workers, each its own JVM started from the
 * jars Maven resolved for the tests (Spark, Hadoop and their dependencies; not Stride's own), each worker with one
 * core. Workers launch executors from a
 * scratch SPARK_HOME whose jars/ links to the same jars. Closing it kills every process it started, executors
 * included; a shutdown hook does the same if the test JVM exits first.
 */
final class StandaloneCluster implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern EXECUTOR_FINISHED_A_TASK = Pattern.compile(
            "(?s).*partition \\d+ done.*Finished task .*");

    private final Path dir;
    private final String classpath;
    private final List<String> jvmFlags;
    private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
    private final Thread shutdownHook = new Thread(this::killAll, "stop-standalone-cluster");
    private final String masterUrl;
    private final List<Process> workers = new ArrayList<>();

    private StandaloneCluster(Path dir, String classpath, List<String> jvmFlags) {
        this.dir = dir;
        this.classpath = classpath;
        this.jvmFlags = jvmFlags;
        this.masterUrl = "spark://127.0.0.1:" + freePort();
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts the master and the workers and waits until every worker has registered. */
    static StandaloneCluster start(Path dir, int workers, List<String> jvmFlags) throws IOException {
        String classpath = resolvedJars();
        StandaloneCluster cluster = new StandaloneCluster(dir, classpath, jvmFlags);
        try {
            cluster.sparkHome();
            int port = Integer.parseInt(cluster.masterUrl.substring(cluster.masterUrl.lastIndexOf(':') + 1));
            Path masterLog = dir.resolve("master.log");
            cluster.launch(masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    String.valueOf(port), "--webui-port", "0");
            for (int i = 0; i < workers; i++) {
                Path workDir = Files.createDirectories(dir.resolve("worker-" + i));
                cluster.workers.add(cluster.launch(dir.resolve("worker-" + i + ".log"),
                        "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory",
                        "1g", "--webui-port", "0", "--work-dir", workDir.toString(), cluster.masterUrl));
            }
            try {
                waitFor("workers registered with the master", START_TIMEOUT,
                        () -> count(masterLog, "Registering worker") >= workers);
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + "\nmaster:\n" + tail(masterLog) + "\nworker 0:\n"
                        + tail(dir.resolve("worker-0.log")), e);
            }
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    String masterUrl() {
        return masterUrl;
    }

    /** Starts a JVM with the cluster's classpath and flags, output into log. */
    Process launch(Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(classpath);
        command.add(mainClass);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("SPARK_HOME", dir.resolve("spark-home").toString());
        env.put("SPARK_SCALA_VERSION", "2.13");
        env.put("SPARK_LOCAL_IP", "127.0.0.1");
        env.remove("SPARK_CONF_DIR");
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /**
     * The first executor that finished a generation task (its log shows a partition done and then a finished task),
     * waiting for one up to timeout.
     */
    ProcessHandle executorThatFinishedATask(Duration timeout) {
        ProcessHandle[] found = new ProcessHandle[1];
        waitFor("an executor that finished a generation task (logs in " + dir + ")", timeout, () -> {
            for (ProcessHandle executor : executors()) {
                Optional<Path> log = executorLog(executor);
                if (log.isPresent() && EXECUTOR_FINISHED_A_TASK.matcher(read(log.get())).matches()) {
                    found[0] = executor;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** The executor id in an executor JVM's command line. */
    static String executorId(ProcessHandle executor) {
        List<String> args = List.of(executor.info().arguments().orElse(new String[0]));
        return args.get(args.indexOf("--executor-id") + 1);
    }

    /** The executor JVMs the workers have running. */
    private List<ProcessHandle> executors() {
        return workers.stream().flatMap(Process::descendants)
                .filter(p -> p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .filter(ProcessHandle::isAlive).toList();
    }

    /** work-dir/app-id/executor-id/stderr of an executor JVM. */
    private Optional<Path> executorLog(ProcessHandle executor) {
        String id = executorId(executor);
        try (Stream<Path> files = Files.walk(dir, 4)) {
            return files.filter(f -> f.getFileName().toString().equals("stderr")
                    && f.getParent().getFileName().toString().equals(id)).findFirst();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The jars on the test class path (surefire and failsafe name it), less the project's own build output. */
    private static String resolvedJars() {
        String testClasspath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path project = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
        return Stream.of(testClasspath.split(java.io.File.pathSeparator))
                .filter(entry -> entry.endsWith(".jar") && !(Path.of(entry).toAbsolutePath().startsWith(project)
                        && entry.contains("target")))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    /** A scratch SPARK_HOME: the workers build executor class paths from its jars/ folder. */
    private void sparkHome() throws IOException {
        Path jars = Files.createDirectories(dir.resolve("spark-home").resolve("jars"));
        for (String entry : classpath.split(java.io.File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (entry.endsWith(".jar") && Files.notExists(jars.resolve(jar.getFileName()))) {
                Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar);
            }
        }
    }

    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook is running.
        }
    }

    /** Kills the executors first (their workers would otherwise leave them orphaned), then everything else. */
    private void killAll() {
        List<Process> started;
        synchronized (processes) {
            started = List.copyOf(processes);
        }
        started.stream().flatMap(Process::descendants).forEach(ProcessHandle::destroyForcibly);
        started.forEach(Process::destroyForcibly);
        for (Process process : started) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static void waitFor(String what, Duration timeout, BooleanSupplier done) {
        Instant deadline = Instant.now().plus(timeout);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + what, e);
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last lines of a log, for failure messages. */
    static String tail(Path log) {
        List<String> lines = read(log).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static long count(Path log, String text) {
        return read(log).lines().filter(line -> line.contains(text)).count();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
