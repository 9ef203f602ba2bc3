package dev.stride.decoder.train;

import java.io.PrintStream;

/** One status line on a terminal, redrawn in place with a carriage return, at most a few times a second. */
public final class ProgressBar {

    private static final long REDRAW_NANOS = 250_000_000L;

    private final PrintStream out;
    private final String label;
    private final int total;
    private final long startNanos = System.nanoTime();
    private int startDone = -1;
    private long lastDraw;
    private int lastWidth;

    public ProgressBar(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    /** Redraws if enough time has passed (or on the last unit); the ETA extrapolates the rate of this run. */
    public void update(int done, String detail) {
        if (startDone < 0) {
            startDone = done;
        }
        long now = System.nanoTime();
        if (done < total && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        double elapsed = (now - startNanos) / 1e9;
        int progressed = done - startDone;
        String eta = progressed <= 0 ? "?" : duration(elapsed / progressed * (total - done));
        String line = String.format("%s %d/%d %s | %s elapsed, ETA %s", label, done, total, detail, duration(elapsed),
                eta);
        out.print("\r" + line + " ".repeat(Math.max(0, lastWidth - line.length())));
        out.flush();
        lastWidth = line.length();
    }

    /** Ends the line. */
    public void finish() {
        out.println();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
