package dev.stride.job.io;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_replace;

import dev.stride.job.config.JobConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Shapes the input into work rows: the output id, the kept input columns, then the other columns generation reads. */
public final class InputTable {

    private InputTable() {
    }

    public record WorkRows(Dataset<Row> rows, RowLayout layout) {
    }

    /** A run's work rows, their id the output's {@link JobSchema#ID}, derived where the input has none. */
    public static WorkRows shape(Dataset<Row> input, JobSchema.InputColumns columns, JobConfig config) {
        return shape(input, columns, config.promptColumn(), id(columns.idColumn()).as(JobSchema.ID));
    }

    /** Work rows with the given id column first (a string, named as the output's first column). */
    public static WorkRows shape(Dataset<Row> input, JobSchema.InputColumns columns, String promptColumn, Column id) {
        Set<String> names = new LinkedHashSet<>();
        columns.kept().forEach(field -> names.add(field.name()));
        names.add(promptColumn);
        names.addAll(columns.overrides());
        if (columns.messages()) {
            names.add(JobSchema.MESSAGES);
        }
        List<Column> selected = new ArrayList<>();
        selected.add(id);
        names.forEach(name -> selected.add(column(name)));
        Dataset<Row> rows = input.select(selected.toArray(Column[]::new));
        return new WorkRows(rows, RowLayout.of(rows.schema(), columns.kept().size(), promptColumn));
    }

    /**
     * The id column as string, or {@code <file-stem>:<row>} from the Parquet file name and the row's position in
     * that file, which no partitioning, split or retry changes. Rows with a null id get the derived one too.
     */
    private static Column id(String idColumn) {
        Column derived = concat(regexp_replace(col("_metadata.file_name"), "\\.parquet$", ""), lit(":"),
                col("_metadata.row_index").cast("string"));
        return idColumn == null ? derived : coalesce(column(idColumn).cast("string"), derived);
    }

    /** A column by name, whatever characters the name has. */
    public static Column column(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }
}
