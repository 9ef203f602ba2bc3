package dev.stride.decoder.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stride.decoder.testing.ForkedJvm;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A closed tokenizer refuses work with a clear error, also to threads that were using it while it closed. */
class TokenizerCloseTest {

    @Test
    void useAfterCloseNamesTheClosedTokenizer() {
        StrideTokenizer tokenizer = StrideTokenizer.load(Fixture.dir());
        int[] ids = tokenizer.encode("hello");
        tokenizer.close();
        for (Runnable use : List.<Runnable>of(() -> tokenizer.encode("hello"), () -> tokenizer.decode(ids),
                () -> tokenizer.newDetokenizer(ids).push(ids[ids.length - 1]))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, use::run);
            assertTrue(e.getMessage().contains("closed") && e.getMessage().contains(Fixture.dir().toString()),
                    e.getMessage());
        }
    }

    /** Before, the native tokenizer was freed under the running calls: SIGSEGV in libtokenizers.so, every time. */
    @Test
    void closingWhileOtherThreadsUseItEndsTheirWorkWithAClearError() throws Exception {
        List<String> endings = ForkedJvm.run(List.of(), TokenizerCloseProbe.class).lines().toList();
        assertEquals(6, endings.size(), String.join("\n", endings));
        for (String ending : endings) {
            assertTrue(ending.startsWith("IllegalStateException: ") && ending.contains("closed"), ending);
        }
    }
}
