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

    /** The test graph with VIDEO's fields replaced. */
    private io.metaxy.flink.definitions.FeatureGraph videoWith(String... fields) {
        var b = io.metaxy.flink.definitions.FeatureSpec.builder(TestGraphs.VIDEO).idColumns("sample_uid");
        for (String f : fields) {
            b.field(io.metaxy.flink.definitions.FieldSpec.of(f, "1"));
        }
        return io.metaxy.flink.definitions.FeatureGraph.of(java.util.List.of(b.build()));
    }

    private String columnType(String column) throws Exception {
        store.close();
        store = null;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:" + url.substring("duckdb:".length()));
                java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT data_type FROM information_schema.columns"
                        + " WHERE table_name = 'test__video' AND column_name = '" + column + "'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    @org.junit.jupiter.api.Test
    void byFieldColumnsAreStructsAsInMetaxysDuckDbStoreAndWidenWithNewFields() throws Exception {
        store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a1", "f1")));
        org.assertj.core.api.Assertions.assertThat(columnType(SystemColumns.PROVENANCE_BY_FIELD))
                .isEqualTo("STRUCT(audio VARCHAR, frames VARCHAR)");
        // The feature gains a field (a new feature version): the column is widened, old rows keep theirs.
        store = MetadataStores.open(url, videoWith("audio", "frames", "text/lang"), AccessMode.WRITE);
        store.write(TestGraphs.VIDEO, java.util.List.of(MetadataRow.builder().ids(java.util.Map.of("sample_uid", 2L))
                .provenanceByField(java.util.Map.of("audio", "a2", "frames", "f2", "text_lang", "t2")).build()));
        org.assertj.core.api.Assertions.assertThat(store.read(TestGraphs.VIDEO, ReadOptions.defaults().featureHistory(true)))
                .extracting(MetadataRow::provenanceByField).containsExactly(java.util.Map.of("audio", "a1", "frames", "f1"),
                        java.util.Map.of("audio", "a2", "frames", "f2", "text_lang", "t2"));
        org.assertj.core.api.Assertions.assertThat(columnType(SystemColumns.DATA_VERSION_BY_FIELD))
                .isEqualTo("STRUCT(audio VARCHAR, frames VARCHAR, text_lang VARCHAR)");
        // Losing a field needs no change: the struct keeps it, null in new rows.
        store = MetadataStores.open(url, videoWith("audio"), AccessMode.WRITE);
        store.write(TestGraphs.VIDEO, java.util.List.of(MetadataRow.builder().ids(java.util.Map.of("sample_uid", 3L))
                .provenanceByField(java.util.Map.of("audio", "a3")).build()));
        org.assertj.core.api.Assertions.assertThat(store.read(TestGraphs.VIDEO)).extracting(MetadataRow::provenanceByField)
                .containsExactly(java.util.Map.of("audio", "a3"));
    }

    @org.junit.jupiter.api.Test
    void mapByFieldColumnsOfEarlierTablesStillWork() throws Exception {
        store.close();
        store = null;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:duckdb:" + url.substring("duckdb:".length()))) {
            c.createStatement().execute("CREATE TABLE test__video (sample_uid BIGINT NOT NULL,"
                    + " metaxy_provenance_by_field MAP(VARCHAR, VARCHAR) NOT NULL, metaxy_provenance VARCHAR NOT NULL,"
                    + " metaxy_data_version_by_field MAP(VARCHAR, VARCHAR) NOT NULL, metaxy_data_version VARCHAR NOT NULL,"
                    + " metaxy_feature_version VARCHAR NOT NULL, metaxy_created_at TIMESTAMPTZ NOT NULL,"
                    + " metaxy_updated_at TIMESTAMPTZ NOT NULL, metaxy_deleted_at TIMESTAMPTZ, metaxy_materialization_id VARCHAR)");
        }
        store = MetadataStores.open(url, graph, AccessMode.WRITE);
        store.write(TestGraphs.VIDEO, java.util.List.of(TestGraphs.video(1, "a1", "f1").toBuilder().projectVersion("p").build()));
        org.assertj.core.api.Assertions.assertThat(store.read(TestGraphs.VIDEO)).extracting(MetadataRow::provenanceByField,
                MetadataRow::projectVersion).containsExactly(org.assertj.core.groups.Tuple.tuple(
                        java.util.Map.of("audio", "a1", "frames", "f1"), "p"));
        org.assertj.core.api.Assertions.assertThat(store.resolveUpdate(TestGraphs.CHILD).added()).hasSize(1);
        org.assertj.core.api.Assertions.assertThat(columnType(SystemColumns.PROVENANCE_BY_FIELD)).startsWith("MAP");
    }

    @AfterEach
    void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
