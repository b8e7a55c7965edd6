package io.metaxy.flink.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;

/** The store suite on a real DuckDB file per test (short temp path). */
class DuckDbStoreTest extends MetadataStoreContract {
    private Path dir;

    @Override
    String newStoreUrl() {
        try {
            dir = Files.createTempDirectory("mxd");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "duckdb:" + dir.resolve("s.duckdb");
    }

    @org.junit.jupiter.api.Test
    void readingAMissingFileIsAConnectionFailure() {
        String missing = "duckdb:" + dir.resolve("nothing.duckdb");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetadataStores.open(missing, graph, AccessMode.READ))
                .isInstanceOf(StoreConnectionException.class).hasMessageContaining("no such file");
    }

    @org.junit.jupiter.api.Test
    void unopenableFileIsAConnectionFailure() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("not-a-dir"), "x");
        String bad = "duckdb:" + dir.resolve("not-a-dir").resolve("s.duckdb");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetadataStores.open(bad, graph, AccessMode.WRITE))
                .isInstanceOf(StoreConnectionException.class).hasMessageContaining("not-a-dir");
    }

    @org.junit.jupiter.api.Test
    void openingForWritingCreatesTheDirectory() {
        String nested = "duckdb:" + dir.resolve("metaxy-data").resolve("deeper").resolve("s.duckdb");
        try (MetadataStore s = MetadataStores.open(nested, graph, AccessMode.WRITE)) {
            s.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a", "f")));
        }
        org.assertj.core.api.Assertions.assertThat(dir.resolve("metaxy-data").resolve("deeper").resolve("s.duckdb")).exists();
    }

    @org.junit.jupiter.api.Test
    void readerAndWriterShareAFileWithinOneJvm() {
        store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a", "f")));
        try (MetadataStore reader = MetadataStores.open(url, graph, AccessMode.READ)) {
            org.assertj.core.api.Assertions.assertThat(reader.read(TestGraphs.VIDEO)).hasSize(1);
            store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(2, "a", "f").toBuilder().column("path", "p2").build()));
            org.assertj.core.api.Assertions.assertThat(reader.read(TestGraphs.VIDEO)).extracting(r -> r.columns().get("path"))
                    .containsExactly(null, "p2");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.drop(TestGraphs.VIDEO))
                    .isInstanceOf(ReadOnlyStoreException.class);
        }
    }

    @AfterEach
    void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
