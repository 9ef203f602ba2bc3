package dev.stride.job.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.stride.job.RunCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checks the files of cluster-config/ (and the scripts/ folder) without a cluster: keys, sizes, scripts. */
class ClusterConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private record Exec(int exitCode, String out, String err) {
    }

    @ParameterizedTest
    @ValueSource(strings = {ClusterConfigFiles.GPU_DEFAULTS, ClusterConfigFiles.CPU_DEFAULTS})
    void sparkDefaultsUseOnlyKnownKeysWithValuesSparkAccepts(String file) throws IOException {
        Map<String, String> defaults = ClusterConfigFiles.sparkDefaults(file);
        assertFalse(defaults.isEmpty());
        defaults.forEach((key, value) -> {
            assertTrue(SparkConfigKeys.isKnown(key), "not a Spark 4.0.1 key: " + key);
            assertFalse(value.isEmpty() || value.contains("#"), key + " = '" + value + "' (comments need own lines)");
            assertDoesNotThrow(() -> SparkConfigKeys.checkValue(key, value), key + " = " + value);
        });
        assertFalse(SparkConfigKeys.isKnown("spark.executor.memoryOverheed"), "the key check must catch typos");
    }

    @ParameterizedTest
    @ValueSource(strings = {ClusterConfigFiles.GPU_DEFAULTS, ClusterConfigFiles.CPU_DEFAULTS})
    void jvmFlagsAreTheParentPomsStrideJvmFlags(String file) throws IOException {
        String pom = Files.readString(ClusterConfigFiles.dir().resolveSibling("pom.xml"));
        Matcher flags = Pattern.compile("<stride\\.jvm\\.flags>(.*)</stride\\.jvm\\.flags>").matcher(pom);
        assertTrue(flags.find());
        Map<String, String> defaults = ClusterConfigFiles.sparkDefaults(file);
        assertEquals(flags.group(1).trim(), defaults.get("spark.driver.extraJavaOptions"));
        assertEquals(flags.group(1).trim(), defaults.get("spark.executor.extraJavaOptions"));
    }

    @Test
    void gpuSizingHangsTogether() throws IOException {
        Map<String, String> defaults = ClusterConfigFiles.sparkDefaults();
        int executorGpus = Integer.parseInt(defaults.get("spark.executor.resource.gpu.amount"));
        int taskGpus = Integer.parseInt(defaults.get("spark.task.resource.gpu.amount"));
        int cores = Integer.parseInt(defaults.get("spark.executor.cores"));
        int taskCpus = Integer.parseInt(defaults.get("spark.task.cpus"));
        assertTrue(taskGpus >= 1 && taskGpus <= executorGpus);
        assertEquals(executorGpus / taskGpus, cores / taskCpus, "GPUs and cores must allow the same tasks per executor");
        Path script = Path.of(defaults.get("spark.executor.resource.gpu.discoveryScript"));
        assertTrue(Files.isExecutable(ClusterConfigFiles.dir().resolve(script.getFileName())), script.toString());

        JsonNode template = new ObjectMapper(new YAMLFactory())
                .readTree(ClusterConfigFiles.dir().resolve("k8s/executor-pod-template.yaml").toFile());
        assertEquals("Pod", template.get("kind").asText());
        assertEquals(executorGpus, template.at("/spec/containers/0/resources/limits").get("nvidia.com/gpu").asInt());
    }

    @Test
    void cpuDefaultsRequestNoGpuAndGiveTheOneTaskEveryCore() throws IOException {
        Map<String, String> cpu = ClusterConfigFiles.sparkDefaults(ClusterConfigFiles.CPU_DEFAULTS);
        assertTrue(cpu.keySet().stream().noneMatch(key -> key.contains("gpu")), cpu.toString());
        assertEquals(ClusterConfigFiles.nonGpuProperties().keySet(), cpu.keySet(),
                "the CPU file sets what the GPU file sets, minus the GPU requests");
        int cores = Integer.parseInt(cpu.get("spark.executor.cores"));
        assertEquals(cores, Integer.parseInt(cpu.get("spark.task.cpus")), "one task per executor, all its cores");
        assertTrue(cores <= 8, "an executor must fit an ordinary worker: " + cores);
        // Heap: 2 GiB KV budget + 2 GiB for Spark at least; the comments work the example through.
        long heapGiB = Long.parseLong(cpu.get("spark.executor.memory").replace("g", ""));
        assertTrue(heapGiB >= 4, "heap " + heapGiB);
        String text = Files.readString(ClusterConfigFiles.dir().resolve(ClusterConfigFiles.CPU_DEFAULTS));
        for (String rule : List.of("weight bytes / 0.4", "-Dstride.weights=packed", "32 MiB", "memory-mapped")) {
            assertTrue(text.contains(rule), "the heap comments should mention " + rule);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s", "yarn", "standalone"})
    void deviceCpuSubmitsWithTheCpuDefaultsAndNoGpuSettings(String cluster) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("MODEL_PATH", "hdfs:///models/m", "DEVICE", "cpu"));
        List<String> args = submit(cluster, env);
        assertEquals(ClusterConfigFiles.dir().resolve(ClusterConfigFiles.CPU_DEFAULTS).toString(),
                after(args, "--properties-file"));
        assertTrue(args.stream().noneMatch(arg -> arg.contains("gpu") || arg.contains("podTemplate")),
                args.toString());
        List<String> job = args.subList(args.indexOf("run"), args.size());
        assertEquals("cpu", after(job, "--device"));
        assertEquals("hdfs:///models/m", after(job, "--model"));
    }

    @Test
    void nonGpuPropertiesDropOnlyTheGpuRequests() throws IOException {
        Map<String, String> all = ClusterConfigFiles.sparkDefaults();
        Map<String, String> nonGpu = ClusterConfigFiles.nonGpuProperties();
        assertTrue(nonGpu.keySet().stream().noneMatch(key -> key.contains(".resource.gpu.")), nonGpu.toString());
        assertEquals(all.size() - 3, nonGpu.size(), "amount, task amount and discovery script go");
        assertEquals(all.get("spark.executor.extraJavaOptions"), nonGpu.get("spark.executor.extraJavaOptions"));
    }

    @Test
    void scriptsPassBashSyntaxCheck() throws IOException, InterruptedException {
        List<Path> scripts = new ArrayList<>();
        for (Path dir : List.of(ClusterConfigFiles.dir(), ClusterConfigFiles.dir().resolveSibling("scripts"))) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(f -> f.toString().endsWith(".sh")).forEach(scripts::add);
            }
        }
        for (String name : List.of("nightly.sh", "getGpusResources.sh", "k8s/submit.sh", "yarn/submit.sh",
                "standalone/submit.sh", "check-report-html.sh", "run-notebook.sh")) {
            assertTrue(scripts.stream().anyMatch(s -> s.endsWith(name)), name + " not among " + scripts);
        }
        for (Path script : scripts) {
            Exec check = exec(List.of("bash", "-n", script.toString()), Map.of());
            assertEquals(0, check.exitCode(), script + ": " + check.err());
        }
    }

    @Test
    void discoveryScriptListsTheGpusNvidiaSmiReports() throws Exception {
        Path bin = fakeCommand("nvidia-smi", """
                [[ "$*" == "--query-gpu=index --format=csv,noheader" ]] || exit 64
                printf '0\\n 1\\n'""");
        JsonNode gpus = discover(bin);
        assertEquals("gpu", gpus.get("name").asText());
        assertEquals(List.of("0", "1"), texts(gpus.get("addresses")));
    }

    @Test
    void discoveryScriptListsNoGpusWithoutWorkingNvidiaSmi() throws Exception {
        Path none = Files.createDirectories(tmp.resolve("empty-bin"));
        assertEquals(List.of(), texts(discover(none).get("addresses")));
        Path failing = fakeCommand("nvidia-smi", "echo 'NVIDIA-SMI has failed: no driver'; exit 9");
        assertEquals(List.of(), texts(discover(failing).get("addresses")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"k8s", "yarn", "standalone"})
    void submitScriptsPassSparkKnownConfsAndTheJobArguments(String cluster) throws Exception {
        List<String> args = submit(cluster, Map.of("MODEL_ARCHIVE", "s3a://m/llama.tar.gz", "HEADS_PATH", "/shared/h"));
        Path config = ClusterConfigFiles.dir();
        assertEquals(config.resolve("spark-defaults.conf").toString(), after(args, "--properties-file"));
        assertEquals("dev.stride.job.StrideJob", after(args, "--class"));
        assertEquals("s3a://m/llama.tar.gz#model", after(args, "--archives"));
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--conf")) {
                String key = args.get(i + 1).substring(0, args.get(i + 1).indexOf('='));
                assertTrue(SparkConfigKeys.isKnown(key), cluster + ": not a Spark 4.0.1 key: " + key);
            }
        }
        int run = args.indexOf("run");
        assertEquals(List.of("run", "--input", "s3a://in", "--output", "s3a://out", "--device", "cuda", "--model",
                "model", "--heads", "/shared/h", "--max-new-tokens", "32"), args.subList(run, args.size()));
        String jar = args.get(run - 1);
        assertTrue(jar.endsWith("stride-job.jar"), jar);
        if (cluster.equals("k8s")) {
            assertTrue(args.contains("spark.executor.resource.gpu.vendor=nvidia.com"), args.toString());
            assertTrue(args.contains("spark.kubernetes.executor.podTemplateFile="
                    + config.resolve("k8s/executor-pod-template.yaml")), args.toString());
        } else if (cluster.equals("yarn")) {
            assertTrue(args.contains("spark.yarn.resourceGpuDeviceName=yarn.io/gpu"), args.toString());
        }
    }

    @Test
    void scriptsRunThroughASymlinkFromAnotherDirectory() throws Exception {
        // An operator's /usr/local/bin/stride-yarn -> cluster-config/yarn/submit.sh: the scripts find their
        // siblings (job-args.sh, the properties file, CLUSTER/submit.sh) from where the link points.
        Path links = Files.createDirectories(tmp.resolve("links"));
        Path submit = Files.createSymbolicLink(links.resolve("stride-yarn"),
                ClusterConfigFiles.dir().resolve("yarn/submit.sh"));
        Path nightly = Files.createSymbolicLink(links.resolve("stride-nightly"),
                ClusterConfigFiles.dir().resolve("nightly.sh"));
        Path argsFile = tmp.resolve("linked.args");
        Path bin = fakeCommand("spark-submit", "printf '%s\\n' \"$@\" > " + argsFile);
        Map<String, String> env = submitEnv(Map.of("MODEL_PATH", "/models/m"));
        env.put("PATH", bin + ":" + System.getenv("PATH"));

        Exec direct = exec(List.of(submit.toString(), "--max-new-tokens", "32"), env);
        assertEquals(0, direct.exitCode(), direct.err());
        assertEquals(ClusterConfigFiles.dir().resolve(ClusterConfigFiles.GPU_DEFAULTS).toString(),
                after(Files.readAllLines(argsFile), "--properties-file"));

        Files.delete(argsFile);
        env.putAll(Map.of("CLUSTER", "yarn", "OUTPUT_ROOT", tmp.resolve("nightly").toString(), "RUN_DATE",
                "2026-11-29", "STRIDE_JOB", script("stride-job", "exit 0").toString()));
        Exec night = exec(List.of(nightly.toString(), "--mode", "ar"), env);
        assertEquals(0, night.exitCode(), night.err());
        assertTrue(Files.readAllLines(argsFile).contains("--resume"), night.err());
    }

    @Test
    void readmeExamplesGiveTheJobOptionsItAccepts() throws Exception {
        String readme = Files.readString(ClusterConfigFiles.dir().resolve("README.md"));
        Path argsFile = tmp.resolve("example.args");
        Path bin = fakeCommand("spark-submit", "printf '%s\\n' \"$@\" > " + argsFile);
        // An example is an indented block (continued with backslashes) that runs one of the folder's scripts.
        Matcher block = Pattern.compile("(?m)^(    \\S.*\\n)+").matcher(readme);
        int examples = 0;
        while (block.find()) {
            List<String> words = List.of(block.group().replace("\\\n", " ").trim().split("\\s+"));
            int script = 0;
            while (script < words.size() && words.get(script).matches("[A-Z0-9_]+=.*")) {
                script++;
            }
            if (script == words.size() || !words.get(script).startsWith("cluster-config/")) {
                continue;
            }
            Map<String, String> env = new HashMap<>(Map.of("PATH", bin + ":" + System.getenv("PATH"),
                    "STRIDE_JOB", script("stride-job", "exit 0").toString()));
            for (String assignment : words.subList(0, script)) {
                int equals = assignment.indexOf('=');
                env.put(assignment.substring(0, equals), assignment.substring(equals + 1));
            }
            List<String> command = new ArrayList<>(words.subList(script, words.size()));
            command.set(0, ClusterConfigFiles.dir().resolveSibling(command.get(0)).toString());
            Exec result = exec(command, env);
            assertEquals(0, result.exitCode(), block.group() + result.err());
            List<String> args = Files.readAllLines(argsFile);
            String[] job = args.subList(args.indexOf("run") + 1, args.size()).toArray(String[]::new);
            assertDoesNotThrow(() -> RunCommand.parse(job), block.group());
            examples++;
        }
        assertEquals(2, examples, "the Kubernetes and the nightly example");
    }

    @Test
    void kubernetesMountsASharedModelVolumeWhenAsked() throws Exception {
        List<String> args = submit("k8s", Map.of("MODEL_PATH", "/models/llama", "MODELS_PVC", "models-pvc"));
        assertFalse(args.contains("--archives"));
        assertTrue(args.contains(
                "spark.kubernetes.executor.volumes.persistentVolumeClaim.models.options.claimName=models-pvc"));
        assertTrue(args.contains("spark.kubernetes.executor.volumes.persistentVolumeClaim.models.mount.path=/models"));
        assertEquals("/models/llama", after(args.subList(args.indexOf("run"), args.size()), "--model"));
        args.stream().filter(a -> a.startsWith("spark.")).map(a -> a.substring(0, a.indexOf('=')))
                .forEach(key -> assertTrue(SparkConfigKeys.isKnown(key), key));
    }

    @Test
    void submitScriptsRejectTwoModelSources() throws Exception {
        Exec result = exec(List.of("bash", ClusterConfigFiles.dir().resolve("yarn/submit.sh").toString()),
                submitEnv(Map.of("MODEL_ARCHIVE", "a.tar.gz", "MODEL_PATH", "/m")));
        assertEquals(2, result.exitCode());
        assertTrue(result.err().contains("either MODEL_ARCHIVE or MODEL_PATH"), result.err());
    }

    @Test
    void standaloneWorkersAnnounceGpusWithKnownKeys() throws IOException {
        String env = Files.readString(ClusterConfigFiles.dir().resolve("standalone/spark-env.sh"));
        Matcher keys = Pattern.compile("-D(spark\\.[\\w.]+)=").matcher(env);
        List<String> found = new ArrayList<>();
        while (keys.find()) {
            found.add(keys.group(1));
        }
        assertEquals(List.of("spark.worker.resource.gpu.amount", "spark.worker.resource.gpu.discoveryScript"), found);
        found.forEach(key -> assertTrue(SparkConfigKeys.isKnown(key), key));
    }

    @Test
    void nightlyResumesTheDatedRunThenReports() throws Exception {
        Exec result = nightly(0, 0);
        assertEquals(0, result.exitCode(), result.err());
        assertEquals(List.of("--resume", "--mode", "mtp", "OUTPUT=" + tmp.resolve("nightly/2026-11-29")),
                Files.readAllLines(tmp.resolve("submit.args")));
        assertEquals(List.of("report", "--input", tmp.resolve("nightly/2026-11-29").toString(), "--output",
                tmp.resolve("reports/2026-11-29").toString(), "--gpu-hour-price", "3.5"),
                Files.readAllLines(tmp.resolve("report.args")));
    }

    @Test
    void nightlyPassesOnTheJobsOrTheReportsExitCode() throws Exception {
        Exec jobFailed = nightly(7, 0);
        assertEquals(7, jobFailed.exitCode());
        assertTrue(jobFailed.err().contains("the job failed (exit 7)"), jobFailed.err());
        assertFalse(Files.exists(tmp.resolve("report.args")), "no report after a failed job");

        assertEquals(3, nightly(0, 3).exitCode());
        Exec badCluster = exec(List.of("bash", ClusterConfigFiles.dir().resolve("nightly.sh").toString()),
                Map.of("CLUSTER", "kubernetes", "OUTPUT_ROOT", tmp.toString()));
        assertEquals(2, badCluster.exitCode(), badCluster.err());
        assertTrue(badCluster.err().contains("CLUSTER must be k8s, yarn or standalone, got 'kubernetes'"),
                badCluster.err());
        Exec badDate = exec(List.of("bash", ClusterConfigFiles.dir().resolve("nightly.sh").toString()),
                Map.of("RUN_DATE", "yesterday", "OUTPUT_ROOT", tmp.toString()));
        assertEquals(2, badDate.exitCode());
    }

    @Test
    void strideJobBuildsTheJarQuietlyWithoutTerminalEscapeCodes() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo/bin"));
        Path script = repo.resolve("stride-job");
        Files.copy(ClusterConfigFiles.dir().resolveSibling("bin/stride-job"), script);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        // Maven 3.8 writes colour resets even in batch mode; this one writes them and a coloured error line.
        Path bin = fakeCommand("mvn", "printf '%s\\n' \"$@\" > " + tmp.resolve("mvn.args") + "\n"
                + "printf '\\033[0m\\033[0m[INFO] \\033[1mbuilt\\033[m\\n'\n"
                + "mkdir -p job/target && touch job/target/stride-job.jar\n"
                + "echo /lib/a.jar > job/target/local-classpath.txt");
        writeScript(bin.resolve("java"), "echo \"java ${@: -2}\"");
        Exec result = exec(List.of(script.toString(), "run", "--help"),
                Map.of("PATH", bin + ":" + System.getenv("PATH")));
        assertEquals(0, result.exitCode(), result.err());
        String console = result.err() + result.out();
        assertFalse(console.contains("\u001b"), console);
        assertTrue(result.err().startsWith("stride-job: building the job jar"), result.err());
        assertTrue(result.err().contains("[INFO] built"), result.err());
        assertEquals("java run --help\n", result.out());
        List<String> mvnArgs = Files.readAllLines(tmp.resolve("mvn.args"));
        assertTrue(mvnArgs.containsAll(List.of("-B", "-q", "-Dstyle.color=never", "package")), mvnArgs.toString());

        // A failed build stops the script with Maven's failure, not with java.
        Files.delete(repo.resolveSibling("job/target/stride-job.jar"));
        writeScript(bin.resolve("mvn"), "echo '[ERROR] broken'; exit 1");
        Exec failed = exec(List.of(script.toString()), Map.of("PATH", bin + ":" + System.getenv("PATH")));
        assertEquals(1, failed.exitCode(), failed.out() + failed.err());
        assertTrue(failed.err().contains("[ERROR] broken") && failed.out().isEmpty(), failed.out() + failed.err());
    }

    private Exec nightly(int submitExit, int reportExit) throws Exception {
        Files.deleteIfExists(tmp.resolve("report.args"));
        Path submit = script("submit", "printf '%s\\n' \"$@\" \"OUTPUT=$OUTPUT\" > " + tmp.resolve("submit.args")
                + "; exit " + submitExit);
        Path report = script("stride-job", "printf '%s\\n' \"$@\" > " + tmp.resolve("report.args")
                + "; exit " + reportExit);
        Map<String, String> env = Map.of("SUBMIT", submit.toString(), "STRIDE_JOB", report.toString(),
                "RUN_DATE", "2026-11-29", "OUTPUT_ROOT", tmp.resolve("nightly") + "/",
                "REPORT_ROOT", tmp.resolve("reports").toString(), "GPU_HOUR_PRICE", "3.5");
        return exec(List.of("bash", ClusterConfigFiles.dir().resolve("nightly.sh").toString(), "--mode", "mtp"), env);
    }

    /** Runs CLUSTER/submit.sh with a spark-submit that records its arguments, and returns them. */
    private List<String> submit(String cluster, Map<String, String> model) throws Exception {
        Path argsFile = tmp.resolve(cluster + ".args");
        Path bin = fakeCommand("spark-submit", "printf '%s\\n' \"$@\" > " + argsFile);
        Map<String, String> env = submitEnv(model);
        env.put("PATH", bin + ":" + System.getenv("PATH"));
        Exec result = exec(List.of("bash", ClusterConfigFiles.dir().resolve(cluster + "/submit.sh").toString(),
                "--max-new-tokens", "32"), env);
        assertEquals(0, result.exitCode(), result.err());
        return Files.readAllLines(argsFile);
    }

    private static Map<String, String> submitEnv(Map<String, String> model) {
        Map<String, String> env = new HashMap<>(model);
        env.putAll(Map.of("INPUT", "s3a://in", "OUTPUT", "s3a://out", "K8S_MASTER", "k8s://https://api:6443",
                "IMAGE", "stride:test", "SPARK_MASTER", "spark://master:7077", "STRIDE_JAR", "/opt/stride-job.jar"));
        return env;
    }

    private JsonNode discover(Path bin) throws Exception {
        Exec result = exec(List.of("/bin/bash", ClusterConfigFiles.dir().resolve("getGpusResources.sh").toString()),
                Map.of("PATH", bin.toString()));
        assertEquals(0, result.exitCode(), result.err());
        return JSON.readTree(result.out());
    }

    /** A folder holding an executable NAME with this bash body. */
    private Path fakeCommand(String name, String body) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin-" + name + "-" + System.nanoTime()));
        writeScript(bin.resolve(name), body);
        return bin;
    }

    private Path script(String name, String body) throws IOException {
        return writeScript(tmp.resolve(name + ".sh"), body);
    }

    private static Path writeScript(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/bash\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private static Exec exec(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(env);
        Process process = builder.start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Exec(process.waitFor(), out, err);
    }

    private static String after(List<String> args, String option) {
        int at = args.indexOf(option);
        assertTrue(at >= 0 && at + 1 < args.size(), option + " missing in " + args);
        return args.get(at + 1);
    }

    private static List<String> texts(JsonNode array) {
        return Arrays.asList(JSON.convertValue(array, String[].class));
    }
}
