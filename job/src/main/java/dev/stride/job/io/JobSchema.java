package dev.stride.job.io;

import static org.apache.spark.sql.types.DataTypes.ByteType;
import static org.apache.spark.sql.types.DataTypes.DoubleType;
import static org.apache.spark.sql.types.DataTypes.FloatType;
import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.ShortType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;

import dev.stride.decoder.engine.ForeignParameters;
import dev.stride.decoder.engine.PromptRequests;
import dev.stride.job.config.JobConfig;
import dev.stride.job.config.JobSetupException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The job's column contracts: which input columns it reads and with which types, and the output columns of
 * docs/job-output.md. The input is checked here, before any work starts.
 */
public final class JobSchema {

    public static final String ID = "id";
    public static final String MAX_NEW_TOKENS = "max_new_tokens";
    public static final String TEMPERATURE = "temperature";
    public static final String TOP_P = "top_p";
    public static final String TOP_K = "top_k";
    public static final String SEED = "seed";
    public static final String STOP = "stop";
    public static final String MESSAGES = "messages";
    /** The per-row override of --logprobs (input) and the per-token log-probabilities (output). */
    public static final String LOGPROBS = "logprobs";

    /**
     * The prefix of the columns a run adds to the input rows while it works (ids, file positions, work estimates):
     * an input column named so would be replaced or made ambiguous, so input columns must not start with it.
     */
    public static final String RESERVED_PREFIX = "__stride_";

    /** Optional per-row columns that override the job-wide generation settings: the decoder's per-prompt keys. */
    public static final List<String> OVERRIDES = PromptRequests.OVERRIDE_KEYS;

    /**
     * Input columns the job reads, with their canonical types. The prompt column is renamed by --prompt-column;
     * integer columns also accept the other integer widths and whole-number decimals, floating-point columns float,
     * double or any decimal (Spark SQL's literal 0.7 is one), and messages structs with their fields in any order
     * and other fields beside them.
     */
    public static final StructType INPUT = new StructType()
            .add(JobConfig.DEFAULT_PROMPT_COLUMN, StringType)
            .add(MAX_NEW_TOKENS, IntegerType)
            .add(TEMPERATURE, DoubleType)
            .add(TOP_P, DoubleType)
            .add(TOP_K, IntegerType)
            .add(SEED, LongType)
            .add(STOP, createArrayType(StringType))
            .add(LOGPROBS, IntegerType)
            .add(MESSAGES, createArrayType(new StructType().add("role", StringType).add("content", StringType)));

    /** Columns that follow the id and the kept input columns in every output row. */
    public static final StructType RESULT = new StructType()
            .add("completion", StringType, true)
            .add("finish_reason", StringType, true)
            .add("prompt_tokens", IntegerType, false)
            .add("completion_tokens", IntegerType, false)
            .add("forward_passes", IntegerType, false)
            .add("tokens_per_pass", DoubleType, false)
            .add("accept_histogram", createArrayType(IntegerType, false), false)
            .add("decode_ms", DoubleType, false)
            .add("model", StringType, false)
            .add("heads", StringType, true)
            .add("mode", StringType, false)
            .add("executor", StringType, false)
            .add("error", StringType, true);

    /** One alternative at a token's position: a token id and its natural-log probability. */
    public static final StructType TOP_LOGPROB = new StructType()
            .add("id", IntegerType, false)
            .add("logprob", FloatType, false);

    /**
     * The {@link #LOGPROBS} output column, last in the row when the run reports log-probabilities: one element per
     * completion token (its id, its log-probability and the most likely alternatives, most likely first); null for
     * rows that failed or did not ask for them.
     */
    public static final StructField LOGPROBS_COLUMN = new StructField(LOGPROBS, createArrayType(new StructType()
            .add("id", IntegerType, false)
            .add("logprob", FloatType, false)
            .add("top", createArrayType(TOP_LOGPROB, false), false), false), true, Metadata.empty());

    private static final Set<DataType> INTEGERS = Set.of(ByteType, ShortType, IntegerType, LongType);
    private static final Set<DataType> FLOATS = Set.of(FloatType, DoubleType);

    private JobSchema() {
    }

    /**
     * The input columns a run uses.
     *
     * @param idColumn the id column, or null when ids are derived from file name and row position
     * @param kept input columns copied to the output, in input order
     * @param overrides override columns present in the input
     * @param messages whether chat messages are read from the messages column
     * @param logprobs whether the output has the {@link #LOGPROBS} column: --logprobs is on, or the input has the
     *     per-row {@link #LOGPROBS} override column
     */
    public record InputColumns(String idColumn, List<StructField> kept, List<String> overrides, boolean messages,
                               boolean logprobs) {
    }

    /** The columns generation reads, as {@link InputColumns} has them. */
    private record ReadColumns(String idColumn, List<String> overrides, boolean messages) {
    }

    /** Checks a run's input against the contract; reports every problem at once. */
    public static InputColumns validate(StructType input, JobConfig config) {
        List<String> problems = new ArrayList<>();
        ReadColumns read = readColumns(input, config, problems);
        String idName = config.idColumn() == null ? ID : config.idColumn();
        // The prompt is read by name from work rows that hold the output's id and then the output's columns: a
        // prompt column named like one of them is an ambiguous reference, kept or not (or even the id column).
        if (namedLike(config.promptColumn(), outputColumnNames())) {
            problems.add("prompt column '" + config.promptColumn() + "' has the name of an output column "
                    + "(compared ignoring case, as Spark resolves names); rename it in the input");
        }
        // Every column, kept or not: the id derivation carries all of them along.
        for (String name : input.fieldNames()) {
            if (name.toLowerCase(Locale.ROOT).startsWith(RESERVED_PREFIX)) {
                problems.add("input column '" + name + "' starts with '" + RESERVED_PREFIX + "', which the job "
                        + "reserves for the columns it adds while it works; rename it");
            }
        }

        // The logprobs override column is a request, not data: by default it is not kept, as the output column of
        // the same name holds the result.
        List<String> keepNames = config.keepColumns() != null ? config.keepColumns()
                : Arrays.stream(input.fieldNames()).filter(name -> !name.equals(LOGPROBS)).toList();
        List<StructField> kept = new ArrayList<>();
        for (String name : keepNames) {
            StructField column = field(input, name);
            if (column == null) {
                problems.add("--keep-columns names '" + name + "', which the input does not have (input has "
                        + input.simpleString() + ")");
            } else if (!name.equals(idName)) {
                if (!name.equals(config.promptColumn()) && namedLike(name, outputColumnNames())) {
                    problems.add("input column '" + name + "' has the name of an output column; leave it out with "
                            + "--keep-columns");
                }
                kept.add(column);
            }
        }

        if (!problems.isEmpty()) {
            throw new JobSetupException("input does not fit the job's input contract:\n  - "
                    + String.join("\n  - ", problems));
        }
        return new InputColumns(read.idColumn(), List.copyOf(kept), read.overrides(), read.messages(),
                logprobsOutput(config, read));
    }

    /**
     * Checks a DataFrame given to StrideGenerator: the columns generation reads as for a run, and the output columns
     * (named with {@code prefix}, and {@code workId}, the work rows' id) against the input's. Every input column is
     * kept, except a {@link #LOGPROBS} request column when the output's {@link #LOGPROBS} column (no prefix)
     * replaces it, as in a run. Reports every problem at once.
     */
    public static InputColumns validateFrame(StructType input, JobConfig config, String prefix, String workId) {
        List<String> problems = new ArrayList<>();
        ReadColumns read = readColumns(input, config, problems);
        boolean logprobs = logprobsOutput(config, read);
        List<String> outputNames = new ArrayList<>(List.of(output(workId, List.of(), prefix, logprobs)
                .fieldNames()));
        List<StructField> kept = new ArrayList<>();
        for (int i = 0; i < input.size(); i++) {
            StructField column = input.fields()[i];
            // A DataFrame, unlike a Parquet file, may repeat a name (a join's result): every column is selected by
            // name, and such a name is an ambiguous reference.
            Arrays.stream(input.fieldNames(), 0, i).filter(column.name()::equalsIgnoreCase).findFirst()
                    .ifPresent(earlier -> problems.add("input column '" + column.name() + "' has the name of input "
                            + "column '" + earlier + "' (compared ignoring case, as Spark resolves names); rename "
                            + "one of them"));
            if (prefix.isEmpty() && column.name().equals(LOGPROBS)) {
                continue;
            }
            if (namedLike(column.name(), outputNames.stream())) {
                problems.add("input column '" + column.name() + "' has the name of an output column; set another "
                        + "outputPrefix or rename the column");
            }
            kept.add(column);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("StrideGenerator: the input does not fit its input contract:\n  - "
                    + String.join("\n  - ", problems));
        }
        return new InputColumns(read.idColumn(), List.copyOf(kept), read.overrides(), read.messages(), logprobs);
    }

    private static boolean logprobsOutput(JobConfig config, ReadColumns read) {
        return config.logprobs() != JobConfig.NO_LOGPROBS || read.overrides().contains(LOGPROBS);
    }

    /** The prompt, id, override and messages columns, type-checked; problems are added to {@code problems}. */
    private static ReadColumns readColumns(StructType input, JobConfig config, List<String> problems) {
        StructField prompt = field(input, config.promptColumn());
        if (prompt == null) {
            problems.add("prompt column '" + config.promptColumn() + "' is missing (expected type string; input has "
                    + input.simpleString() + ")");
        } else {
            checkType(prompt, StringType, problems);
        }

        String idName = config.idColumn() == null ? ID : config.idColumn();
        StructField id = field(input, idName);
        if (id == null && config.idColumn() != null) {
            problems.add("id column '" + idName + "' is missing (expected string or an integer type)");
        } else if (id != null && !id.dataType().equals(StringType) && !INTEGERS.contains(id.dataType())) {
            problems.add("id column '" + idName + "' must be string or an integer type, found "
                    + id.dataType().catalogString());
        }

        List<String> overrides = new ArrayList<>();
        for (String name : OVERRIDES) {
            StructField column = field(input, name);
            if (column != null) {
                checkType(column, INPUT.apply(name).dataType(), problems);
                overrides.add(name);
            } else {
                checkNotNamedButForCase(input, name, "override column", List.of(config.promptColumn(), idName),
                        problems);
            }
        }
        checkNoForeignParameters(input, List.of(config.promptColumn(), idName), problems);
        StructField messages = config.chat() ? field(input, MESSAGES) : null;
        if (config.chat() && messages == null) {
            checkNotNamedButForCase(input, MESSAGES, "chat column", List.of(config.promptColumn(), idName),
                    problems);
        }
        if (messages != null && !isMessages(messages.dataType())) {
            problems.add("column '" + MESSAGES + "' must be " + INPUT.apply(MESSAGES).dataType().catalogString()
                    + " (fields in any order, others ignored), found " + messages.dataType().catalogString());
        }
        return new ReadColumns(id == null ? null : idName, List.copyOf(overrides), messages != null);
    }

    /**
     * Refuses a column named like {@code name} but for case: the columns generation reads are found by their exact
     * names, while Spark resolves names ignoring case, so a JDBC source's TEMPERATURE looked like the override and
     * was kept as data instead, every row getting the run's value. The prompt and id columns are read by the names
     * given ({@code claimed}), whatever they are.
     */
    private static void checkNotNamedButForCase(StructType input, String name, String role, List<String> claimed,
                                                List<String> problems) {
        Arrays.stream(input.fieldNames()).filter(name::equalsIgnoreCase).filter(found -> !claimed.contains(found))
                .findFirst().ifPresent(found -> problems.add(
                "column '" + found + "' is named like the " + role + " '" + name + "' but for case, and is not read "
                + "as one (the names of the columns generation reads are compared exactly): rename it to '" + name
                + "', or to another name to keep it as data"));
    }

    /**
     * Refuses columns named like a generation parameter of other APIs that Stride does not read
     * ({@link ForeignParameters}): kept as data, such a column looked as if it had taken effect while every row got
     * the run's settings. The prompt and id columns are read by the names given ({@code claimed}), whatever they are.
     */
    private static void checkNoForeignParameters(StructType input, List<String> claimed, List<String> problems) {
        for (String name : input.fieldNames()) {
            Optional<String> advice = claimed.contains(name) ? Optional.empty() : ForeignParameters.advice(name);
            advice.ifPresent(use -> problems.add("column '" + name + "' is named like a generation parameter of "
                    + "other APIs, which Stride does not read: " + use + "; rename the column to keep it as data"));
        }
    }

    /** The output schema of a run without log-probabilities: id, the kept input columns, then {@link #RESULT}. */
    public static StructType output(List<StructField> kept) {
        return output(kept, false);
    }

    /** The output schema: id, the kept input columns, {@link #RESULT}, then {@link #LOGPROBS_COLUMN} if asked. */
    public static StructType output(List<StructField> kept, boolean logprobs) {
        return output(ID, kept, "", logprobs);
    }

    /**
     * The rows generation writes: the id (named {@code idName}), the kept input columns, then {@link #RESULT} and
     * {@link #LOGPROBS_COLUMN} if asked, their names prefixed with {@code prefix}.
     */
    public static StructType output(String idName, List<StructField> kept, String prefix, boolean logprobs) {
        List<StructField> fields = new ArrayList<>();
        fields.add(new StructField(idName, StringType, false, Metadata.empty()));
        fields.addAll(kept);
        List<StructField> results = new ArrayList<>(Arrays.asList(RESULT.fields()));
        if (logprobs) {
            results.add(LOGPROBS_COLUMN);
        }
        results.forEach(field -> fields.add(new StructField(prefix + field.name(), field.dataType(),
                field.nullable(), field.metadata())));
        return new StructType(fields.toArray(StructField[]::new));
    }

    /**
     * A schema's columns as "name:type", nullability left out: what the part files of one dataset must agree on, as
     * a reader fails on a column that is a string in one file and an int in another.
     */
    public static List<String> describe(StructType schema) {
        return Arrays.stream(schema.fields()).map(field -> field.name() + ":" + field.dataType().catalogString())
                .toList();
    }

    /** The names of a run's output columns other than the kept ones. */
    private static Stream<String> outputColumnNames() {
        return Stream.concat(Stream.of(ID, LOGPROBS), Arrays.stream(RESULT.fieldNames()));
    }

    /**
     * Whether {@code name} is one of {@code names} ignoring case, as Spark resolves column names by default: an input
     * column "ID" beside the output's "id" made the write fail as an ambiguous reference.
     */
    private static boolean namedLike(String name, Stream<String> names) {
        return names.anyMatch(name::equalsIgnoreCase);
    }

    private static StructField field(StructType schema, String name) {
        return Arrays.asList(schema.fieldNames()).contains(name) ? schema.apply(name) : null;
    }

    /**
     * Whether a column of type {@code actual} holds values of type {@code canonical}. Decimals are read exactly, and
     * a value that the canonical type cannot hold fails its row (RowRequests), as other bad override values do.
     */
    private static boolean accepts(DataType canonical, DataType actual) {
        if (INTEGERS.contains(canonical)) {
            return INTEGERS.contains(actual) || actual instanceof DecimalType decimal && decimal.scale() == 0;
        }
        if (FLOATS.contains(canonical)) {
            return FLOATS.contains(actual) || actual instanceof DecimalType;
        }
        // catalogString leaves nullability out, so arrays and structs compare by shape only.
        return actual.catalogString().equals(canonical.catalogString());
    }

    /** The types {@link #accepts} takes besides {@code canonical}, as the message names them. */
    private static Stream<String> otherAccepted(DataType canonical) {
        if (INTEGERS.contains(canonical)) {
            return Stream.concat(INTEGERS.stream().map(DataType::catalogString), Stream.of("decimal(p,0)"));
        }
        if (FLOATS.contains(canonical)) {
            return Stream.concat(FLOATS.stream().map(DataType::catalogString), Stream.of("decimal(p,s)"));
        }
        return Stream.of();
    }

    private static void checkType(StructField column, DataType canonical, List<String> problems) {
        if (!accepts(canonical, column.dataType())) {
            String others = otherAccepted(canonical).filter(name -> !name.equals(canonical.catalogString())).sorted()
                    .collect(Collectors.joining(", "));
            problems.add("column '" + column.name() + "' must be " + canonical.catalogString()
                    + (others.isEmpty() ? "" : " (or " + others + ")") + ", found "
                    + column.dataType().catalogString());
        }
    }

    /**
     * Whether a column holds chat messages: an array of structs with string role and content fields. RowRequests
     * reads the fields by name, so their order and any other fields (OpenAI's name or tool_calls) do not matter.
     */
    private static boolean isMessages(DataType type) {
        return type instanceof ArrayType array && array.elementType() instanceof StructType message
                && Arrays.asList(message.fieldNames()).containsAll(List.of("role", "content"))
                && message.apply("role").dataType().equals(StringType)
                && message.apply("content").dataType().equals(StringType);
    }
}
