package dev.stride.decoder.cli;

import dev.stride.decoder.engine.SamplingParams;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses a float flag the way JSON lines are read: as a double, refused where the float would change its meaning.
 * picocli's own conversion rounds silently: --temperature 1e-50 became 0 (greedy), --top-p 1e39 Infinity. Also
 * the Spark job's converter for the same flags.
 */
public final class FloatConverter implements ITypeConverter<Float> {

    @Override
    public Float convert(String value) {
        double parsed;
        try {
            parsed = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + value + "' is not a number");
        }
        try {
            return SamplingParams.narrowed("'" + value + "' =", parsed);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
