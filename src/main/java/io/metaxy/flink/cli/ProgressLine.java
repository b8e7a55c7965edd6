package io.metaxy.flink.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one way a long-running command shows how far it is: a status line on stderr. On a terminal
 * it is redrawn in place ({@code \r}) every second; otherwise (a pipe, a CI log) a plain line is
 * printed every few seconds. A command that ends within the first interval prints nothing, so
 * short runs and scripts stay quiet; one that printed ends with a final line.
 *
 * <pre>{@code
 * try (ProgressLine progress = ProgressLine.start("resolve example/crop")) {
 *     progress.update(() -> counter.rowsRead() + " rows read, " + counter.found() + " increments found");
 *     ... the long work ...
 * }   // stop(): "resolve example/crop: 1200000 rows read, 31 increments found, done in 14 s"
 * }</pre>
 */
public final class ProgressLine implements AutoCloseable {
    static final Duration TERMINAL_EVERY = Duration.ofSeconds(1);
    static final Duration PLAIN_EVERY = Duration.ofSeconds(5);

    private final String label;
    private final PrintWriter err;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private final ScheduledExecutorService ticker;
    private final ScheduledFuture<?> tick;
    private volatile Supplier<String> status = () -> "";
    private int lastWidth;
    private boolean printed;
    private boolean stopped;

    private ProgressLine(String label, PrintWriter err, boolean terminal, Duration every) {
        this.label = Objects.requireNonNull(label, "label");
        this.err = err;
        this.terminal = terminal;
        this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "metaxy-progress");
            t.setDaemon(true);
            return t;
        });
        long millis = every.toMillis();
        this.tick = ticker.scheduleAtFixedRate(this::print, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** On this process's stderr; redrawn in place when there is a terminal ({@link System#console()}). */
    public static ProgressLine start(String label) {
        return start(label, new PrintWriter(System.err, true), System.console() != null);
    }

    /** On {@code err} (a command's {@code spec.commandLine().getErr()}); {@code terminal}: redraw with {@code \r}. */
    public static ProgressLine start(String label, PrintWriter err, boolean terminal) {
        return new ProgressLine(label, err, terminal, terminal ? TERMINAL_EVERY : PLAIN_EVERY);
    }

    /** For tests: lines every {@code every}. */
    static ProgressLine start(String label, PrintWriter err, boolean terminal, Duration every) {
        return new ProgressLine(label, err, terminal, every);
    }

    /** The status shown next: a fixed text, e.g. {@code "3 of 7 features"}. */
    public void update(String counter) {
        status = () -> counter;
    }

    /** The status shown next, computed at each refresh (cheap to call from a hot loop: it is read once a second). */
    public void update(Supplier<String> counter) {
        status = Objects.requireNonNull(counter, "counter");
    }

    /** Stops refreshing; if a line was shown, ends it with the final status and the elapsed time. */
    public void stop() {
        tick.cancel(false);
        ticker.shutdown();
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            if (printed) {
                String line = line() + ", done in " + elapsedSeconds() + " s";
                err.print(terminal ? "\r" + pad(line) + "\n" : line + "\n");
                err.flush();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized void print() {
        if (stopped) {
            return;
        }
        String line = line() + " (" + elapsedSeconds() + " s)";
        err.print(terminal ? "\r" + pad(line) : line + "\n");
        err.flush();
        printed = true;
    }

    private String line() {
        String text;
        try {
            text = status.get();
        } catch (RuntimeException e) {
            text = "";
        }
        return text.isEmpty() ? label : label + ": " + text;
    }

    /** Blanks what is left of a longer previous line on a terminal. */
    private String pad(String line) {
        String padded = line.length() < lastWidth ? line + " ".repeat(lastWidth - line.length()) : line;
        lastWidth = line.length();
        return padded;
    }

    private long elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1_000_000_000L;
    }
}
