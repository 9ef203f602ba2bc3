package dev.stride.job;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Shapes the input into work rows: the output id, the kept input columns, then the other columns generation reads. */
final class InputTable {

    private InputTable() {
    }

    record WorkRows(Dataset<Row> rows, RowLayout layout) {
    }

    /** @param input the input rows with their id ({@link InputIds#identify}) */
    static WorkRows shape(Dataset<Row> input, JobSchema.InputColumns columns, JobConfig config) {
        Set<String> names = new LinkedHashSet<>();
        columns.kept().forEach(field -> names.add(field.name()));
        names.add(config.promptColumn());
        names.addAll(columns.overrides());
        if (columns.messages()) {
            names.add(JobSchema.MESSAGES);
        }
        List<Column> selected = new ArrayList<>();
        selected.add(col(InputIds.COLUMN).as(JobSchema.ID));
        names.forEach(name -> selected.add(column(name)));
        Dataset<Row> rows = input.select(selected.toArray(Column[]::new));
        return new WorkRows(rows, RowLayout.of(rows.schema(), columns.kept().size(), config.promptColumn()));
    }

    static Column column(String name) {
        return col("`" + name.replace("`", "``") + "`");
    }
}
