package dev.stride.job.io;

import java.util.concurrent.ThreadFactory;

/** The driver's helper threads: daemons, so that none keeps the JVM of a finished (or failed) run alive. */
final class DaemonThreads {

    private DaemonThreads() {
    }

    static ThreadFactory named(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
