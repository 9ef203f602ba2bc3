package dev.stride.job.io;

import static org.apache.spark.sql.functions.col;

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

    /** A run's work rows, their id the output's {@link JobSchema#ID}: the one {@link InputIds#identify} gave. */
    public static WorkRows shape(Dataset<Row> input, JobSchema.InputColumns columns, JobConfig config) {
        return shape(input, columns, config.promptColumn(), col(InputIds.COLUMN).as(JobSchema.ID));
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

    /** A column by name, whatever characters the name has. */
    public static Column column(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }
}
