package dev.stride.job.report;

import java.util.Arrays;

/** A growable column of doubles: one value per row without boxing, as runs can have millions of rows. */
final class DoubleColumn {

    private double[] values = new double[1024];
    private int size;

    void add(double value) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = value;
    }

    double[] toArray() {
        return Arrays.copyOf(values, size);
    }
}
