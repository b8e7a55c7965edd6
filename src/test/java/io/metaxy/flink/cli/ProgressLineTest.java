package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** {@link ProgressLine}: quiet for short work, refreshing lines for long work, a final line at the end. */
class ProgressLineTest {
    @Test
    void shortWorkPrintsNothing() {
        StringWriter err = new StringWriter();
        try (ProgressLine line = ProgressLine.start("resolve x", new PrintWriter(err), false)) {
            line.update("1 rows");
        }
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void plainOutputIsOneLinePerRefreshAndAFinalLine() {
        StringWriter err = new StringWriter();
        AtomicLong rows = new AtomicLong();
        ProgressLine line = ProgressLine.start("resolve x", new PrintWriter(err), false, Duration.ofMillis(20));
        line.update(() -> rows.get() + " rows scanned");
        rows.set(7);
        await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("resolve x: 7 rows scanned ("));
        rows.set(9);
        line.stop();
        String text = err.toString();
        assertThat(text).doesNotContain("\r").endsWith("\n");
        assertThat(text.lines().reduce((a, b) -> b).orElseThrow()).startsWith("resolve x: 9 rows scanned, done in ");
        int length = text.length();
        line.stop(); // idempotent, and nothing after stop
        assertThat(err.toString()).hasSize(length);
    }

    @Test
    void terminalOutputRedrawsOneLineInPlace() {
        StringWriter err = new StringWriter();
        ProgressLine line = ProgressLine.start("status", new PrintWriter(err), true, Duration.ofMillis(20));
        line.update("example/video (1 of 4 features)");
        await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("\rstatus: example/video"));
        line.update("x");
        await().atMost(Duration.ofSeconds(10)).until(() -> err.toString().contains("\rstatus: x"));
        line.stop();
        String text = err.toString();
        assertThat(text.chars().filter(c -> c == '\n').count()).as("one line, ended once").isEqualTo(1);
        assertThat(text).endsWith("\n");
        // a shorter status blanks the rest of the longer one before it
        assertThat(text).containsPattern("\rstatus: x \\(\\d+ s\\) {10,}");
    }
}
