package dev.stride.decoder.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StrideCliTest {

    /**
     * Every command's help renders as written: picocli reads descriptions as format strings, so a bare percent
     * sign ("95 % of them") makes it warn on standard error and print the text unformatted.
     */
    @Test
    void everyCommandsHelpRendersWithoutWarnings() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new StrideCli());
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            for (CommandLine command : cli.getSubcommands().values()) {
                String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
                assertTrue(usage.contains("Usage: stride " + command.getCommandName()), usage);
            }
        } finally {
            System.setErr(originalErr);
        }
        String warnings = err.toString(StandardCharsets.UTF_8);
        assertFalse(warnings.contains("WARN"), warnings);
        assertEquals(7, cli.getSubcommands().size(), "commands: " + cli.getSubcommands().keySet());
    }
}
