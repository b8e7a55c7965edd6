package io.metaxy.flink.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.store.Increment;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps the runnable example of docs/metadata-store.md true. */
class StoreQuickstartTest {
    @TempDir
    Path dir;

    @Test
    void quickstartAnnouncesBothSamplesThenNothing() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<Increment> increments = StoreQuickstart.run("duckdb:" + dir.resolve("q.duckdb"), new PrintStream(printed, true));
        assertThat(increments.get(0).added()).hasSize(2);
        assertThat(increments.get(0).added().get(0).provenanceByField()).containsOnlyKeys("audio", "frames");
        assertThat(increments.get(1).isEmpty()).isTrue();
        assertThat(printed.toString()).contains("after the write-back: 0 new, 0 stale, 0 orphaned");
    }
}
