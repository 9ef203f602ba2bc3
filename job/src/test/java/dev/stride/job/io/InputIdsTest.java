package dev.stride.job.io;

import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.JobRuns;
import dev.stride.job.LocalSparkExtension;
import dev.stride.job.RunCommand;
import dev.stride.job.RunSummary;
import dev.stride.job.ScanAudit;
import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Input ids name one row each: duplicates are refused or deduplicated; derived ids never collide. */
class InputIdsTest {

    @RegisterExtension
    static final LocalSparkExtension SPARK = new LocalSparkExtension("local[2]");

    private static final StructType WITH_ID = new StructType().add("id", StringType).add("prompt", StringType);
    private static final StructType WITHOUT_ID = new StructType().add("prompt", StringType);

    @TempDir
    Path dir;

    @Test
    void duplicateIdsAreRefusedBeforeAnyWorkNamingTheFirstFew() throws IOException {
        // Seven duplicated ids (d1..d7), d1 three times: 8 extra rows. The error names the first five by id.
        List<Row> rows = new java.util.ArrayList<>();
        for (int i = 7; i >= 1; i--) {
            rows.add(RowFactory.create("d" + i, "Life is"));
            rows.add(RowFactory.create("d" + i, "You will be"));
        }
        rows.add(RowFactory.create("d1", "Beware of"));
        rows.add(RowFactory.create("unique", "Never trust a"));
        Path input = file(rows, WITH_ID, dir.resolve("in"), "prompts");
        Path output = dir.resolve("out");

        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(spark(),
                "--input", input.toString(), "--output", output.toString(), "--max-new-tokens", "2"));
        assertTrue(refused.getMessage().contains("has 7 ids that name more than one row (8 extra rows), first 5 by "
                + "id: 'd1' (3 rows), 'd2' (2 rows), 'd3' (2 rows), 'd4' (2 rows), 'd5' (2 rows)"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("--dedupe first"), refused.getMessage());
        assertTrue(Files.notExists(output), "nothing is written before the check");
    }

    @Test
    void dedupeFirstKeepsEachIdsFirstRowInFileOrderThenRowOrder() throws IOException {
        // Files sort by path: a/ before b/. Row order inside a file is the order written.
        Path input = dir.resolve("in");
        file(List.of(RowFactory.create("u1", "A fool and"), RowFactory.create("x", "first x"),
                RowFactory.create("x", "second x")), WITH_ID, input.resolve("b"), "prompts");
        file(List.of(RowFactory.create("y", "first y"), RowFactory.create("x", "third x"),
                RowFactory.create("y", "second y")), WITH_ID, input.resolve("c"), "prompts");
        file(List.of(RowFactory.create("x", "x in a"), RowFactory.create("u2", "Life is")), WITH_ID,
                input.resolve("a"), "prompts");
        String glob = input.resolve("*").resolve("prompts.parquet").toString();

        for (String partitions : List.of("1", "3")) {
            Path output = dir.resolve("out" + partitions);
            RunSummary summary = JobRuns.run(spark(), "--input", glob, "--output", output.toString(),
                    "--max-new-tokens", "2", "--dedupe", "first", "--partitions", partitions);
            assertEquals(Map.of("u1", "A fool and", "u2", "Life is", "x", "x in a", "y", "first y"),
                    promptsById(output));
            assertEquals(4, summary.rowsTotal());
            assertEquals(4, summary.duplicateRowsDropped());
            assertEquals("first", summary.config().get("dedupe"));
        }
    }

    @Test
    void derivedIdsStayUniqueWhenFilesInDifferentFoldersShareAName() throws IOException {
        Path input = dir.resolve("in");
        file(List.of(RowFactory.create("Life is"), RowFactory.create("You will be")), WITHOUT_ID,
                input.resolve("a"), "prompts");
        file(List.of(RowFactory.create("Beware of")), WITHOUT_ID, input.resolve("b b"), "prompts");
        Map<String, String> expected = Map.of("a/prompts:0", "Life is", "a/prompts:1", "You will be",
                "b b/prompts:0", "Beware of");

        // A glob's root is the folder before its first wildcard; a single file's is its folder.
        for (String glob : List.of("*/prompts.parquet", "*")) {
            Path output = dir.resolve("out-" + glob.length());
            JobRuns.run(spark(), "--input", input + "/" + glob, "--output", output.toString(), "--max-new-tokens",
                    "2");
            assertEquals(expected, decoded(promptsById(output)), glob);
        }
        Path fileOutput = dir.resolve("file");
        JobRuns.run(spark(), "--input", input.resolve("a/prompts.parquet").toString(), "--output",
                fileOutput.toString(), "--max-new-tokens", "2");
        assertEquals(Map.of("prompts:0", "Life is", "prompts:1", "You will be"), promptsById(fileOutput));
    }

    /**
     * Derived ids are unique by construction unless two files share a key: checking every row's id scanned the
     * whole input and shuffled every id, at a nightly run's size minutes before any work.
     */
    @Test
    void derivedIdsAreCheckedByTheirFilesWithoutReadingTheInputRows() throws IOException {
        Path input = dir.resolve("in");
        spark().range(3000).selectExpr("concat('Once upon a time ', id) AS prompt").repartition(4).write()
                .parquet(input.toString());
        ScanAudit audit = ScanAudit.register(spark().sparkContext());
        InputIds.Identified identified;
        try {
            identified = InputIds.identify(spark(), spark().read().parquet(input.toString()), null,
                    RunCommand.parse("--model", JobRuns.FIXTURE.toString(), "--input", input.toString(), "--output",
                            dir.resolve("out").toString()));
            assertEquals(0, audit.recordsReadFrom(input.toUri().getPath().replaceAll("/$", "")),
                    audit.table(Map.of()));
        } finally {
            audit.close();
        }
        Row ids = identified.rows().selectExpr("count(*)", "count(DISTINCT " + InputIds.COLUMN + ")").first();
        assertEquals(List.of(3000L, 3000L), List.of(ids.getLong(0), ids.getLong(1)), "every row, each id once");
        assertEquals(0, identified.duplicatesDropped());

        // "prompts" and "prompts.parquet" both give ids "prompts:<row>": then the rows are checked.
        Path clash = file(List.of(RowFactory.create("Life is")), WITHOUT_ID, dir.resolve("clash"), "prompts");
        Files.copy(clash.resolve("prompts.parquet"), clash.resolve("prompts"));
        JobSetupException refused = assertThrows(JobSetupException.class, () -> JobRuns.run(spark(),
                "--input", clash.toString(), "--output", dir.resolve("out").toString(), "--max-new-tokens", "2"));
        assertTrue(refused.getMessage().contains("'prompts:0' (2 rows)"), refused.getMessage());
    }

    /**
     * An input column named _metadata hides Spark's file metadata column of that name: ids read through the name
     * failed the run (a string column) or came from the user's values (a struct with the same fields).
     */
    @Test
    void anInputColumnNamedMetadataDoesNotHideTheFileAndRowOfDerivedIds() throws IOException {
        StructType fake = new StructType().add("file_path", StringType).add("row_index", LongType)
                .add("file_name", StringType);
        StructType schema = new StructType().add("prompt", StringType).add("_metadata", fake);
        Path input = file(List.of(RowFactory.create("Life is", RowFactory.create("x", 0L, "x")),
                RowFactory.create("You will be", RowFactory.create("x", 0L, "x"))), schema, dir.resolve("in"),
                "prompts");
        Path output = dir.resolve("out");
        RunSummary summary = JobRuns.run(spark(), "--input", input.toString(), "--output", output.toString(),
                "--max-new-tokens", "2");
        assertEquals(Map.of("prompts:0", "Life is", "prompts:1", "You will be"), promptsById(output));
        assertEquals(2, summary.rowsOk());
        assertEquals(List.of(RowFactory.create("x", 0L, "x")), spark().read().parquet(output.toString())
                .select("_metadata.*").distinct().collectAsList(), "the input column is kept as it is");

        Path stringColumn = file(List.of(RowFactory.create("Beware of", "user data")), new StructType()
                .add("prompt", StringType).add("_metadata", StringType), dir.resolve("in2"), "prompts");
        JobRuns.run(spark(), "--input", stringColumn.toString(), "--output", dir.resolve("out2").toString(),
                "--max-new-tokens", "2");
        assertEquals(Map.of("prompts:0", "Beware of"), promptsById(dir.resolve("out2")));
    }

    private static SparkSession spark() {
        return SPARK.session();
    }

    /** Hadoop paths keep a space percent-encoded, as in Spark's file paths; the id shows it that way. */
    private static Map<String, String> decoded(Map<String, String> byId) {
        Map<String, String> decoded = new TreeMap<>();
        byId.forEach((id, prompt) -> decoded.put(id.replace("%20", " "), prompt));
        return decoded;
    }

    private static Map<String, String> promptsById(Path output) {
        Map<String, String> byId = new TreeMap<>();
        spark().read().parquet(output.toString()).select("id", "prompt").collectAsList()
                .forEach(row -> byId.put(row.getString(0), row.getString(1)));
        return byId;
    }

    /** Writes rows, in order, as the single Parquet file {@code folder/name.parquet}. */
    private static Path file(List<Row> rows, StructType schema, Path folder, String name) throws IOException {
        Path scratch = folder.resolveSibling(folder.getFileName() + ".tmp");
        spark().createDataFrame(rows, schema).coalesce(1).write().parquet(scratch.toString());
        Files.createDirectories(folder);
        try (Stream<Path> files = Files.list(scratch)) {
            Path part = files.filter(f -> f.getFileName().toString().endsWith(".parquet")).findFirst()
                    .orElseThrow();
            Files.move(part, folder.resolve(name + ".parquet"));
        }
        try (Stream<Path> files = Files.walk(scratch)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        return folder;
    }
}
