package dev.stride.decoder.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stride.decoder.cli.StrideCli;
import dev.stride.decoder.model.Model;
import dev.stride.decoder.model.ModelLoader;
import dev.stride.decoder.mtp.HeadsWriter;
import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The GPU acceptance run behind scripts/gpu-check.sh, for a machine with a GPU and neither Maven nor a JDK: the
 * CUDA tests through the JUnit launcher, then {@code stride bench} on the fixture model (CPU and GPU) and on a random
 * 8B-shaped bf16 model made on the spot, summed up in one table. Exits non-zero when a test fails, when the CUDA
 * variants were skipped, or when a benchmark fails.
 *
 * <p>Usage: {@code GpuCheck FIXTURE_DIR WORK_DIR [--no-8b]}
 */
public final class GpuCheck {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] ROWS = {1, 16, 64};

    private final List<String[]> table = new ArrayList<>();
    private boolean failed;

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: GpuCheck FIXTURE_DIR WORK_DIR [--no-8b]");
            System.exit(2);
        }
        GpuCheck check = new GpuCheck();
        check.run(Path.of(args[0]), Path.of(args[1]), !Arrays.asList(args).contains("--no-8b"));
        System.exit(check.failed ? 1 : 0);
    }

    private void run(Path fixture, Path work, boolean big) throws Exception {
        Files.createDirectories(work);
        CudaProbe.Result found = CudaProbe.system().probe(0);
        if (found.available()) {
            try (Gpu gpu = JCudaGpu.open(0, found.kernels())) {
                row("device", gpu.describe());
            }
        } else {
            row("device", "none: " + found.reason());
            failed = true;
        }
        runTests(found.available());
        Path heads = work.resolve("fixture-heads");
        writeHeads(fixture, heads);
        for (String device : new String[] {"cpu", "cuda"}) {
            JsonNode bench = bench(device, "--model", fixture.toString(), "--heads", heads.toString(),
                    "--prompts", "24", "--max-new-tokens", "48", "--max-batch", "8", "--repeat", "2", "--tree", "nodes:16");
            if (bench != null) {
                row("fixture " + device + ": plain / multi-token tok/s", String.format(
                        "%.1f / %.1f (random heads: %.2f tokens per pass; identical %d/%d)",
                        bench.get("ar_tokens_per_s").asDouble(), bench.get("mtp_tokens_per_s").asDouble(),
                        bench.get("tokens_per_pass").asDouble(), bench.get("identical_rows").asInt(),
                        bench.get("rows").asInt()));
                failed |= bench.get("identical_rows").asInt() != bench.get("rows").asInt();
            }
        }
        passCost("fixture cuda", "--model", fixture.toString());
        if (big) {
            Path model = work.resolve("random-8b");
            if (!Files.exists(model.resolve("config.json"))) {
                long t0 = System.nanoTime();
                cli("random-model", "--out", model.toString(), "--shape", "8b", "--dtype", "bf16");
                row("8b bf16 random model written", String.format("%.0f s", (System.nanoTime() - t0) / 1e9));
            }
            long t0 = System.nanoTime();
            passCost("8b bf16 cuda", "--model", model.toString());
            row("8b bf16 load + pass-cost run", String.format("%.0f s", (System.nanoTime() - t0) / 1e9));
        }
        row("RESULT", failed ? "FAIL" : "PASS");
        System.out.println();
        System.out.println("== Stride GPU check ==");
        for (String[] r : table) {
            System.out.printf("%-44s %s%n", r[0], r[1]);
        }
    }

    private void row(String check, String result) {
        table.add(new String[] {check, result});
        System.out.printf("[gpu-check] %s: %s%n", check, result);
    }

    /** Every test of the CUDA backend; the "cuda" variants must run, the emulator ones may skip. */
    private void runTests(boolean gpu) {
        int[] cuda = new int[3];   // passed, failed, skipped
        int[] others = new int[3];
        List<String> problems = new ArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            private TestPlan plan;

            @Override
            public void testPlanExecutionStarted(TestPlan testPlan) {
                plan = testPlan;
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    return;
                }
                String name = plan.getParent(id).map(TestIdentifier::getDisplayName).orElse("") + " "
                        + id.getDisplayName();
                int[] counts = id.getDisplayName().equals("cuda") ? cuda : others;
                String reason = result.getThrowable().map(Throwable::getMessage).orElse("");
                switch (result.getStatus()) {
                    case SUCCESSFUL -> counts[0]++;
                    case FAILED -> {
                        counts[1]++;
                        problems.add("FAILED " + name + ": " + reason);
                    }
                    case ABORTED -> {
                        counts[2]++;
                        if (counts == cuda) {
                            problems.add("SKIPPED " + name + ": " + reason);
                        }
                    }
                }
                System.out.printf("[test] %-8s %s %s%n", result.getStatus(), name,
                        result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "" : reason);
            }
        };
        Launcher launcher = LauncherFactory.create();
        launcher.execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectPackage(GpuCheck.class.getPackageName()),
                        DiscoverySelectors.selectClass("dev.stride.decoder.engine.CudaDecodingTest"))
                .build(), listener);
        row("tests on cuda:0", String.format("%d passed, %d failed, %d skipped", cuda[0], cuda[1], cuda[2]));
        row("other tests (CPU-side, emulator)", String.format("%d passed, %d failed, %d skipped", others[0],
                others[1], others[2]));
        problems.forEach(p -> System.out.println("[gpu-check] " + p));
        failed |= cuda[1] + others[1] > 0 || !gpu || cuda[2] > 0 || cuda[0] == 0;
    }

    /** Untrained heads near the fixture's lm_head, so multi-token passes accept some drafts. */
    private static void writeHeads(Path fixture, Path dir) {
        if (Files.exists(dir.resolve("config.json"))) {
            return;
        }
        try (Model model = ModelLoader.load(fixture)) {
            HeadsWriter.write(TinyModels.heads(model.config(), model.weights(), 3, 1, 11), dir, model.name(), DType.F32);
        }
    }

    private JsonNode bench(String device, String... args) {
        List<String> command = new ArrayList<>(List.of("bench", "--device", device));
        command.addAll(List.of(args));
        String output = cli(command.toArray(String[]::new));
        if (output == null) {
            return null;
        }
        String[] lines = output.strip().split("\n");
        try {
            return JSON.readTree(lines[lines.length - 1]);
        } catch (java.io.IOException e) {
            row("bench " + device + " output", "not JSON: " + lines[lines.length - 1]);
            failed = true;
            return null;
        }
    }

    private void passCost(String label, String... model) {
        List<String> args = new ArrayList<>(List.of("--pass-cost"));
        args.addAll(List.of(model));
        JsonNode curve = bench("cuda", args.toArray(String[]::new));
        if (curve == null) {
            return;
        }
        double plain = curve.get("plain_pass_ms").asDouble();
        StringBuilder ms = new StringBuilder();
        StringBuilder tokens = new StringBuilder();
        for (int rows : ROWS) {
            double pass = plain * curve.get("pass_cost_ratio").path(String.valueOf(rows)).asDouble(Double.NaN);
            ms.append(ms.length() > 0 ? " / " : "").append(String.format("%.2f", pass));
            tokens.append(tokens.length() > 0 ? " / " : "").append(String.format("%.0f", rows * 1e3 / pass));
        }
        row(label + ": pass ms at 1/16/64 rows", ms.toString());
        row(label + ": plain tok/s at batch 1/16/64", tokens.toString());
        row(label + ": weights streamed at 1 row", String.format("%.0f GB/s (%.2f GB per pass)",
                curve.get("weight_bytes").asDouble() / (plain / 1e3) / 1e9, curve.get("weight_bytes").asDouble() / 1e9));
    }

    /** Runs a stride command in this JVM, echoing and returning its standard output; null when it fails. */
    private String cli(String... args) {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream console = System.out;
        System.setOut(new PrintStream(new Tee(console, captured), true, StandardCharsets.UTF_8));
        int code;
        try {
            code = StrideCli.run(args);
        } finally {
            System.setOut(console);
        }
        if (code != 0) {
            row("stride " + String.join(" ", args), "exit code " + code);
            failed = true;
            return null;
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int value) throws java.io.IOException {
            a.write(value);
            b.write(value);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws java.io.IOException {
            a.write(bytes, offset, length);
            b.write(bytes, offset, length);
        }
    }
}
