package dev.stride.decoder.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closes a tokenizer while two threads encode and decode long texts with it, as an engine closed by a shutdown hook
 * while tasks still run; prints how each thread's work ended. Run in a JVM of its own: the native tokenizer freed
 * under a call brought the whole JVM down.
 */
public final class TokenizerCloseProbe {

    private static final int ROUNDS = 3;

    private TokenizerCloseProbe() {
    }

    public static void main(String[] args) throws Exception {
        String text = "the quick brown fox jumps over the lazy dog. ".repeat(2_000);
        for (int round = 0; round < ROUNDS; round++) {
            StrideTokenizer tokenizer = StrideTokenizer.load(Fixture.dir());
            Thread[] users = new Thread[2];
            List<AtomicReference<String>> endings = new ArrayList<>();
            for (int i = 0; i < users.length; i++) {
                AtomicReference<String> ending = new AtomicReference<>("ran to the end");
                endings.add(ending);
                users[i] = new Thread(() -> {
                    try {
                        for (int k = 0; k < 1_000; k++) {
                            tokenizer.decode(tokenizer.encode(text));
                        }
                    } catch (RuntimeException e) {
                        ending.set(e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                });
                users[i].start();
            }
            Thread.sleep(30 + 10 * round);
            tokenizer.close();
            tokenizer.close(); // a second close does nothing
            for (int i = 0; i < users.length; i++) {
                users[i].join();
                System.out.println(endings.get(i).get());
            }
        }
    }
}
