package dev.stride.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** The Stride version this jar was built as (written into stride.properties by the build). */
public final class StrideVersion implements IVersionProvider {

    public static String get() {
        try (InputStream in = StrideVersion.class.getResourceAsStream("stride.properties")) {
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {"stride-job " + get()};
    }
}
