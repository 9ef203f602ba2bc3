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
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;

/**
 * Reads the report's columns of one Parquet part file with parquet-hadoop's example Group API. The read is projected
 * to those columns, so completions and kept input columns are never decompressed.
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
            for (Group row = reader.read(); row != null; row = reader.read()) {
                sink.accept(toRow(row));
            }
        }
    }

    // Spark writes the numeric columns as required; a null from another writer reads as 0.
    private static OutputRow toRow(Group row) {
        return new OutputRow(present(row, "completion_tokens") ? row.getInteger("completion_tokens", 0) : 0,
                present(row, "tokens_per_pass") ? row.getDouble("tokens_per_pass", 0) : 0.0,
                histogram(row),
                present(row, "decode_ms") ? row.getDouble("decode_ms", 0) : 0.0,
                present(row, "error") ? row.getString("error", 0) : null);
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
                boolean expected = column.equals(HISTOGRAM) ? isThreeLevelList(type) : type.isPrimitive()
                        && type.asPrimitiveType().getPrimitiveTypeName() == PRIMITIVES.get(column);
                if (!expected) {
                    throw new ReportInputException(file + ": column '" + column + "' has type " + type
                            + ", not the one docs/job-output.md specifies");
                }
                fields.add(type);
            }
            return new ReadContext(new MessageType(schema.getName(), fields));
        }

        private static boolean isThreeLevelList(Type type) {
            return !type.isPrimitive() && type.asGroupType().getFieldCount() == 1
                    && !type.asGroupType().getType(0).isPrimitive();
        }
    }
}
