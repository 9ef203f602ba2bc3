package dev.stride.decoder.cli;

import dev.stride.decoder.safetensors.DType;
import dev.stride.decoder.safetensors.SafetensorsException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Parses a --dtype flag in any case; an unknown one is a usage error while parsing, before the command runs. */
final class DTypeConverter implements ITypeConverter<DType> {

    @Override
    public DType convert(String value) {
        try {
            return DType.parse(value.toUpperCase(Locale.ROOT), "'" + value + "'");
        } catch (SafetensorsException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
