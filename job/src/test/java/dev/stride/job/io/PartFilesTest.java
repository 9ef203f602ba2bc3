package dev.stride.job.io;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.job.config.JobSetupException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The footer check reads files concurrently but names the first bad file in the order given. */
class PartFilesTest {

    @TempDir
    Path dir;

    @Test
    void theFirstUnreadableFileInListOrderIsNamed() throws IOException {
        List<org.apache.hadoop.fs.Path> files = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Path file = dir.resolve(String.format("part-%05d.parquet", i));
            // None is readable: empty, a few zero bytes, or only Parquet's leading magic (file 7).
            Files.write(file, i == 7 ? new byte[] {'P', 'A', 'R', '1'} : new byte[i]);
            files.add(new org.apache.hadoop.fs.Path(file.toUri()));
        }
        JobSetupException refused = assertThrows(JobSetupException.class,
                () -> PartFiles.requireReadable(new Configuration(), files));
        assertTrue(refused.getMessage().startsWith("output file " + files.get(0) + " is not a readable Parquet"),
                refused.getMessage());

        List<org.apache.hadoop.fs.Path> fromSeventh = files.subList(7, files.size());
        refused = assertThrows(JobSetupException.class,
                () -> PartFiles.requireReadable(new Configuration(), fromSeventh));
        assertTrue(refused.getMessage().startsWith("output file " + files.get(7) + " is not a readable Parquet"),
                refused.getMessage());
    }

    @Test
    void noFilesIsNothingToCheck() {
        assertDoesNotThrow(() -> PartFiles.requireReadable(new Configuration(), List.of()));
    }
}
