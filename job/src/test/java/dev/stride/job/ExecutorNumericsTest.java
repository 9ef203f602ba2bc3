package dev.stride.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.engine.PassLedger;
import dev.stride.job.cluster.ExecutorNumerics;
import dev.stride.job.cluster.ExecutorTime;
import dev.stride.job.cluster.JobProgress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Per-executor numerics in the summary, and the warnings for executors whose bits may differ. */
class ExecutorNumericsTest {

    private static final ExecutorTime.Totals NO_TIME = new ExecutorTime().within(0, 0);

    private static final ExecutorNumerics AVX2 = new ExecutorNumerics("cpu (8 threads)", 256, "packed_bfloat16",
            "17.0.12", false);
    private static final ExecutorNumerics AVX512_JAVA21 = new ExecutorNumerics("cpu (16 threads)", 512,
            "packed_bfloat16", "21.0.4", false);
    private static final ExecutorNumerics GPU = new ExecutorNumerics("cuda:0 NVIDIA H200 (139 GiB)", 256,
            "packed_bfloat16", "17.0.12", false);
    private static final ExecutorNumerics STREAMED = new ExecutorNumerics("cpu (8 threads)", 256, "streamed",
            "17.0.12", false);

    @Test
    void deviceKindIsTheDevicesLeadingWord() {
        assertEquals("cpu", AVX2.deviceKind());
        assertEquals("cuda", GPU.deviceKind());
        assertEquals("cuda", new ExecutorNumerics("cuda:3 A100", 0, "x", "17", false).deviceKind());
    }

    @Test
    void vectorWidthAndJavaVersionAreListedButDoNotWarn() {
        List<JobProgress.PartitionReport> reports = List.of(report("1", 0, AVX2), report("2", 1, AVX512_JAVA21),
                report("1", 2, AVX2));
        assertEquals(List.of(), warnings(reports));
        List<RunSummary.ExecutorSummary> executors = RunSummary.ExecutorSummary.of(reports, NO_TIME);
        assertEquals(2, executors.size());
        RunSummary.ExecutorSummary first = executors.get(0);
        assertEquals(List.of("1", "cpu (8 threads)", 256, "packed_bfloat16", "17.0.12"), List.of(first.executor(),
                first.device(), first.vectorBits(), first.weightLayout(), first.javaVersion()));
        RunSummary.ExecutorSummary second = executors.get(1);
        assertEquals(List.of("2", "cpu (16 threads)", 512, "21.0.4"), List.of(second.executor(), second.device(),
                second.vectorBits(), second.javaVersion()));
    }

    @Test
    void cpuAndGpuExecutorsWarn() {
        List<String> warnings = warnings(List.of(report("1", 0, AVX2), report("2", 1, GPU), report("3", 2, GPU)));
        assertEquals(1, warnings.size(), warnings.toString());
        String warning = warnings.get(0);
        assertTrue(warning.contains("different device kinds (cpu on executor 1; cuda on executors 2, 3)"), warning);
        assertTrue(warning.contains("last bits"), warning);
    }

    @Test
    void differentWeightLayoutsWarnAndSayHowToPinOne() {
        List<String> warnings = warnings(List.of(report("1", 0, AVX2), report("2", 1, STREAMED)));
        assertEquals(1, warnings.size(), warnings.toString());
        String warning = warnings.get(0);
        assertTrue(warning.contains("different layouts (packed_bfloat16 on executor 1; streamed on executor 2)"),
                warning);
        assertTrue(warning.contains("-Dstride.weights="), warning);
    }

    @Test
    void executorsWithoutTheTrapLimitFlagAreNamedWithTheFix() {
        ExecutorNumerics untuned = new ExecutorNumerics("cpu (8 threads)", 256, "packed_bfloat16", "17.0.12", true);
        List<String> warnings = warnings(List.of(report("1", 0, AVX2), report("2", 1, untuned),
                report("3", 2, untuned)));
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("executors 2, 3 ran without -XX:PerMethodTrapLimit=10000"),
                warnings.get(0));
        assertTrue(warnings.get(0).contains("spark.executor.extraJavaOptions"), warnings.get(0));
    }

    @Test
    void anExecutorWhoseTasksUsedTwoGpusListsBoth() {
        ExecutorNumerics otherGpu = new ExecutorNumerics("cuda:1 NVIDIA H200 (139 GiB)", 256, "packed_bfloat16",
                "17.0.12", false);
        List<JobProgress.PartitionReport> reports = List.of(report("1", 0, GPU), report("1", 1, otherGpu));
        assertEquals(List.of(), warnings(reports), "one device kind");
        assertEquals("cuda:0 NVIDIA H200 (139 GiB), cuda:1 NVIDIA H200 (139 GiB)",
                RunSummary.ExecutorSummary.of(reports, NO_TIME).get(0).device());
    }

    @Test
    void theConsoleSummaryPrintsTheNumericsAndTheWarnings() {
        List<JobProgress.PartitionReport> reports = List.of(report("1", 0, AVX2), report("2", 1, GPU));
        RunSummary summary = summary(RunSummary.ExecutorSummary.of(reports, NO_TIME), warnings(reports));
        String table = SummaryTable.format(summary, "out/_stride/summary.json");
        assertTrue(table.contains("cpu (8 threads), 256-bit vectors, packed_bfloat16 weights, Java 17.0.12"), table);
        assertTrue(table.lines().anyMatch(line -> line.trim().startsWith("WARNING") && line.contains("device kinds")),
                table);
        assertTrue(summary.toJson().contains("\"warnings\" : [ \"executors ran on different device kinds"),
                summary.toJson());
        assertTrue(summary.toJson().contains("\"vector_bits\" : 256"), summary.toJson());

        RunSummary quiet = summary(RunSummary.ExecutorSummary.of(List.of(report("1", 0, AVX2)), NO_TIME), List.of());
        assertFalse(SummaryTable.format(quiet, "s").contains("WARNING"));
    }

    private static List<String> warnings(List<JobProgress.PartitionReport> reports) {
        List<Map.Entry<String, ExecutorNumerics>> entries = new ArrayList<>();
        reports.forEach(r -> entries.add(Map.entry(r.executor(), r.numerics())));
        return ExecutorNumerics.warnings(entries);
    }

    private static JobProgress.PartitionReport report(String executor, int partition, ExecutorNumerics numerics) {
        return new JobProgress.PartitionReport(executor, partition, 10, 0, 100, new PassLedger(), 1_000L * partition,
                1_000L * partition + 500, numerics);
    }

    private static RunSummary summary(List<RunSummary.ExecutorSummary> executors, List<String> warnings) {
        return new RunSummary("r", "v", "4", "s", "f", 1.0, "in", "out",
                new RunSummary.ModelSummary("m", "p", 1, 2, "F32", "packed_bfloat16"), null, "ar", "auto", "cpu",
                executors.size(), 2, 0, 1.0, 0.5, 0.5, 20, 20, 0, 0, List.of(), Map.of(), 10, 200, 210, 190, 200.0, 1.0,
                List.of(190L), null, executors, warnings, new LinkedHashMap<>());
    }
}
