package dev.stride.job.report;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Reads the report's columns of one Parquet part file with parquet-hadoop's example Group API. The read is projected
 * to those columns, so completions and kept input columns are never decompressed. Of the optional logprobs column
 * only the per-token {@code logprob} fields are read, and only when the file has the column.
 */
final class ParquetRowReader {

    private static final Map<String, PrimitiveTypeName> PRIMITIVES = Map.of(
            "completion_tokens", PrimitiveTypeName.INT32, "tokens_per_pass", PrimitiveTypeName.DOUBLE,
            "decode_ms", PrimitiveTypeName.DOUBLE, "error", PrimitiveTypeName.BINARY);
    private static final String HISTOGRAM = "accept_histogram";

    private final Configuration conf;

    ParquetRowReader(Configuration conf) {
        this.conf = conf;
    }

    void read(Path file, Consumer<OutputRow> sink) throws IOException {
        try (ParquetReader<Group> reader = ParquetReader.builder(new ProjectedReadSupport(file), file)
                .withConf(conf).build()) {
            long number = 1;
            for (Group row = reader.read(); row != null; row = reader.read(), number++) {
                OutputRow output = toRow(row);
                requireFiniteAtLeastZero(file, number, "tokens_per_pass", output.tokensPerPass());
                requireFiniteAtLeastZero(file, number, "decode_ms", output.decodeMs());
                requireFiniteAtLeastZero(file, number, "completion_tokens", output.completionTokens());
                for (int count : output.acceptHistogram()) {
                    requireFiniteAtLeastZero(file, number, "accept_histogram", count);
                }
                sink.accept(output);
            }
        }
    }

    // A NaN or infinite value would end up in the percentiles, the histogram bins and report.json (as a bare NaN).
    private static void requireFiniteAtLeastZero(Path file, long row, String column, double value) {
        if (!(value >= 0 && value < Double.POSITIVE_INFINITY)) {
            throw new ReportInputException(file + ": row " + row + " has " + column + " " + value
                    + "; docs/job-output.md specifies a finite number >= 0");
        }
    }

    // Spark writes the numeric columns as required; a null from another writer reads as 0.
    private static OutputRow toRow(Group row) {
        double logprobSum = 0;
        int logprobTokens = 0;
        if (row.getType().containsField(OutputRow.LOGPROBS) && present(row, OutputRow.LOGPROBS)) {
            // logprobs > list (or bag) > element > logprob, the only field the projection kept, all by position.
            Group list = row.getGroup(OutputRow.LOGPROBS, 0);
            for (int i = 0; i < list.getFieldRepetitionCount(0); i++) {
                Group entry = list.getGroup(0, i);
                if (entry.getFieldRepetitionCount(0) > 0) {
                    Group token = entry.getGroup(0, 0);
                    if (token.getFieldRepetitionCount(0) > 0) {
                        logprobSum += token.getFloat(0, 0);
                        logprobTokens++;
                    }
                }
            }
        }
        return new OutputRow(present(row, "completion_tokens") ? row.getInteger("completion_tokens", 0) : 0,
                present(row, "tokens_per_pass") ? row.getDouble("tokens_per_pass", 0) : 0.0,
                histogram(row),
                present(row, "decode_ms") ? row.getDouble("decode_ms", 0) : 0.0,
                present(row, "error") ? row.getString("error", 0) : null,
                logprobSum, logprobTokens);
    }

    private static boolean present(Group row, String field) {
        return row.getFieldRepetitionCount(field) > 0;
    }

    // Spark writes array<int> as a three-level LIST: group > repeated group (list, or bag in the legacy format) >
    // element; fields are taken by position so both namings read the same.
    private static int[] histogram(Group row) {
        if (!present(row, HISTOGRAM)) {
            return new int[0];
        }
        Group list = row.getGroup(HISTOGRAM, 0);
        int[] values = new int[list.getFieldRepetitionCount(0)];
        for (int i = 0; i < values.length; i++) {
            Group element = list.getGroup(0, i);
            values[i] = element.getFieldRepetitionCount(0) == 0 ? 0 : element.getInteger(0, 0);
        }
        return values;
    }

    /** Requests only {@link OutputRow#COLUMNS}, after checking they are there with the documented types. */
    private static final class ProjectedReadSupport extends GroupReadSupport {

        private final Path file;

        ProjectedReadSupport(Path file) {
            this.file = file;
        }

        @Override
        public ReadContext init(InitContext context) {
            MessageType schema = context.getFileSchema();
            List<Type> fields = new ArrayList<>();
            for (String column : OutputRow.COLUMNS) {
                if (!schema.containsField(column)) {
                    throw new ReportInputException(file + " has no column '" + column
                            + "' (see docs/job-output.md); is it a Stride job output?");
                }
                Type type = schema.getType(column);
                boolean expected = column.equals(HISTOGRAM) ? isIntList(type)
                        : isPrimitive(type, PRIMITIVES.get(column));
                if (!expected) {
                    throw new ReportInputException(file + ": column '" + column + "' has type " + type
                            + ", not the one docs/job-output.md specifies");
                }
                fields.add(type);
            }
            if (schema.containsField(OutputRow.LOGPROBS)) {
                fields.add(logprobsProjection(schema.getType(OutputRow.LOGPROBS)));
            }
            return new ReadContext(new MessageType(schema.getName(), fields));
        }

        /** array<struct<id, logprob, top>> narrowed to array<struct<logprob>>. */
        private Type logprobsProjection(Type type) {
            if (isThreeLevelList(type)) {
                GroupType repeated = type.asGroupType().getType(0).asGroupType();
                if (repeated.getFieldCount() == 1 && !repeated.getType(0).isPrimitive()) {
                    GroupType element = repeated.getType(0).asGroupType();
                    if (element.containsField("logprob") && element.getType("logprob").isPrimitive()
                            && element.getType("logprob").asPrimitiveType().getPrimitiveTypeName()
                            == PrimitiveTypeName.FLOAT) {
                        return type.asGroupType().withNewFields(repeated.withNewFields(
                                element.withNewFields(element.getType("logprob"))));
                    }
                }
            }
            throw new ReportInputException(file + ": column '" + OutputRow.LOGPROBS + "' has type " + type
                    + ", not the one docs/job-output.md specifies");
        }

        // array<int>: histogram() reads the elements as int32 (a writer's array<bigint> would fail there unnamed).
        private static boolean isIntList(Type type) {
            if (!isThreeLevelList(type)) {
                return false;
            }
            GroupType repeated = type.asGroupType().getType(0).asGroupType();
            return repeated.getFieldCount() == 1 && isPrimitive(repeated.getType(0), PrimitiveTypeName.INT32);
        }

        private static boolean isPrimitive(Type type, PrimitiveTypeName name) {
            return type.isPrimitive() && type.asPrimitiveType().getPrimitiveTypeName() == name;
        }

        private static boolean isThreeLevelList(Type type) {
            return !type.isPrimitive() && type.asGroupType().getFieldCount() == 1
                    && !type.asGroupType().getType(0).isPrimitive();
        }
    }
}
