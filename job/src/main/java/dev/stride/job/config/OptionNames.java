package dev.stride.job.config;

import java.util.Locale;
import java.util.regex.Pattern;

/** How an error names a setting: as the command line's option or as the Spark ML param of the same meaning. */
public enum OptionNames {
    /** {@code maxNewTokens} reads {@code --max-new-tokens}. */
    CLI,
    /** {@code maxNewTokens} reads {@code maxNewTokens}, the StrideGenerator param. */
    PARAMS;

    private static final Pattern SNAKE_CASE = Pattern.compile("_([a-z])");

    /** The name of the setting that the {@link JobConfig} component {@code component} holds. */
    public String of(String component) {
        if (this == PARAMS) {
            return component;
        }
        return "--" + component.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** The name of the setting that a request's key ({@code top_p}, as a JSONL line or column names it) sets. */
    public String ofKey(String key) {
        return of(SNAKE_CASE.matcher(key).replaceAll(letter -> letter.group(1).toUpperCase(Locale.ROOT)));
    }
}
