package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.ReadOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store sink's writer against a real DuckDB file: order within a batch, replays, refused rows. */
class StoreSinkWriterTest {
    static final FeatureGraph GRAPH = HarnessDriver.overview(1);
    static final StreamPlan PLAN = StreamPlan.of(GRAPH, "w.");
    static final String VIDEO = "example/video";
    static final String TOPIC = PLAN.feature(VIDEO).topic;

    @TempDir
    Path dir;

    final RowParser parser = new RowParser(PLAN, RowParser.DEFAULT_MAX_VALUE_BYTES);
    final List<StampedRow> records = new ArrayList<>();

    String url() {
        return "duckdb:" + dir.resolve("sink.duckdb");
    }

    void record(int id, String value) throws Exception {
        records.add(parser.parse(RawRecord.of(TOPIC, 0, records.size(), HarnessDriver.ids(id), value)));
    }

    static String video(String audio) throws Exception {
        return KafkaTestClient.row(Map.of("path", "v.mp4", "metaxy_provenance_by_field", Map.of("audio", audio, "frames", "f")));
    }

    /** Applies {@code rows} through a fresh writer (a fresh job attempt), all in one batch. */
    StoreSinkWriter apply(List<StampedRow> rows) {
        StoreSinkWriter writer = new StoreSinkWriter(MetadataStores.open(url(), GRAPH, AccessMode.WRITE), PLAN, 10_000, null);
        for (StampedRow row : rows) {
            writer.write(row, null);
        }
        writer.flush(false);
        writer.close();
        return writer;
    }

    Map<Object, String> visible(MetadataStore store) {
        Map<Object, String> out = new TreeMap<>();
        store.read(VIDEO).forEach(r -> out.put(r.ids().get("sample_uid"), r.provenanceByField().get("audio")));
        return out;
    }

    static final StreamPlan NEXT = StreamPlan.of(IncrementDifferentialProperties.withCodeVersion(GRAPH, VIDEO, "audio", "2"), "w.");

    /**
     * Rows of two feature versions (workers of old and new code), soft deletes naming either and
     * hard deletes, through the sink in random batches: per version, the store's latest live rows
     * are exactly the ones the stream counts for that version ({@link BatchOracle#rowsOfVersion}).
     */
    @Property(tries = 30)
    void perFeatureVersionTheStoreHoldsWhatTheStreamCounts(
            @ForAll @Size(max = 25) List<@IntRange(min = 0, max = 1000) Integer> steps) throws Exception {
        Path tmp = Files.createTempDirectory("mxsink");
        try {
            checkVersions("duckdb:" + tmp.resolve("sink.duckdb"), steps);
        } finally {
            try (var files = Files.walk(tmp)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private void checkVersions(String url, List<Integer> steps) throws Exception {
        List<StampedRow> rows = new ArrayList<>();
        String[] versions = {PLAN.feature(VIDEO).featureVersion, NEXT.feature(VIDEO).featureVersion};
        StoreSinkWriter writer = new StoreSinkWriter(MetadataStores.open(url, GRAPH, AccessMode.WRITE), PLAN, 10_000, null);
        for (int n : steps) {
            int id = n % 3;
            String version = versions[(n / 3) % 2];
            String value = switch ((n / 6) % 4) {
                case 0 -> null;
                case 1 -> "{\"metaxy_deleted_at\":\"2020-01-01T00:00:00Z\",\"metaxy_feature_version\":\"" + version + "\"}";
                default -> KafkaTestClient.row(Map.of("path", "v.mp4", "metaxy_feature_version", version,
                        "metaxy_provenance_by_field", Map.of("audio", "a" + n, "frames", "f")));
            };
            StampedRow row = parser.parse(RawRecord.of(TOPIC, 0, rows.size(), HarnessDriver.ids(id), value));
            rows.add(row);
            writer.write(row, null);
            if ((n / 24) % 3 == 0) {
                writer.flush(false);
            }
        }
        writer.flush(false);
        writer.close();
        try (MetadataStore store = MetadataStores.open(url, GRAPH, AccessMode.READ)) {
            for (String version : versions) {
                Map<String, String> stored = new TreeMap<>();
                store.read(VIDEO, ReadOptions.defaults().allFeatureVersions(true)
                                .filter(io.metaxy.flink.store.Filter.eq("metaxy_feature_version", version)))
                        .forEach(r -> stored.put(IncrementJobKafkaITCase.idsJson(r.ids()), r.provenance()));
                Map<String, String> counted = new TreeMap<>();
                BatchOracle.rowsOfVersion(VIDEO, version, rows).forEach((ids, r) -> counted.put(ids, r.provenance));
                assertThat(stored).as("rows of version %s", version).isEqualTo(counted);
            }
        }
    }

    @Test
    void appliesWritesSoftAndHardDeletesAndRewritesInArrivalOrderWithinOneBatch() throws Exception {
        record(1, video("a1"));
        record(2, video("a1"));
        record(1, "{\"metaxy_deleted_at\":\"2020-01-01T00:00:00Z\"}"); // back-dated soft delete: still hides 1
        record(1, video("a2"));                                        // rewrite after the soft delete
        record(2, null);                                               // hard delete
        record(2, video("a3"));                                        // written again after the hard delete
        record(3, video("a1"));
        record(3, video("a2"));                                        // same sample twice in a batch: last wins
        record(4, video("a1"));
        record(4, "{\"metaxy_deleted_at\":\"2020-01-01T00:00:00Z\"}");
        StoreSinkWriter writer = apply(records);
        assertThat(writer.rowsRejected()).isZero();
        try (MetadataStore store = MetadataStores.open(url(), GRAPH, AccessMode.READ)) {
            assertThat(visible(store)).isEqualTo(Map.of(1L, "a2", 2L, "a3", 3L, "a2"));
            List<MetadataRow> history = store.read(VIDEO, ReadOptions.defaults().history(true).includeDeleted(true));
            // 1: write, tombstone, rewrite; 2: only the write after the hard delete; 3: two writes; 4: write, tombstone.
            assertThat(history).hasSize(8);
            assertThat(history).extracting(MetadataRow::materializationId).doesNotHaveDuplicates()
                    .allMatch(m -> m.startsWith(TOPIC + "/0/"));
            MetadataRow tombstone = history.stream().filter(r -> r.ids().get("sample_uid").equals(4L) && r.deletedAt() != null)
                    .findFirst().orElseThrow();
            assertThat(tombstone.provenanceByField()).containsEntry("audio", "a1");
            assertThat(tombstone.materializationId()).isEqualTo(TOPIC + "/0/9");
        }
    }

    @Test
    void aReplayAfterRecoveryAddsNothingAndSparesLaterRowsFromHardDeletes() throws Exception {
        record(1, video("a1"));
        record(2, video("a1"));
        record(1, "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\"}");
        record(2, null);
        record(2, video("a2"));
        record(1, video("a3"));
        apply(records);
        List<MetadataRow> before;
        try (MetadataStore store = MetadataStores.open(url(), GRAPH, AccessMode.READ)) {
            before = store.read(VIDEO, ReadOptions.defaults().history(true).includeDeleted(true));
            assertThat(visible(store)).isEqualTo(Map.of(1L, "a3", 2L, "a2"));
        }
        // The job failed after applying everything but before its checkpoint: all of it is replayed.
        apply(records);
        // ... or from the middle (a checkpoint after the second record).
        apply(records.subList(2, records.size()));
        try (MetadataStore store = MetadataStores.open(url(), GRAPH, AccessMode.READ)) {
            assertThat(store.read(VIDEO, ReadOptions.defaults().history(true).includeDeleted(true))).isEqualTo(before);
            assertThat(visible(store)).isEqualTo(Map.of(1L, "a3", 2L, "a2"));
        }
    }

    @Test
    void writersRunIdsAreKeptAsAPrefixOfTheKey() throws Exception {
        record(1, KafkaTestClient.row(Map.of("metaxy_materialization_id", "run-7",
                "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        record(2, KafkaTestClient.row(Map.of("metaxy_materialization_id", "run-7",
                "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        apply(records);
        apply(records);
        try (MetadataStore store = MetadataStores.open(url(), GRAPH, AccessMode.READ)) {
            assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).extracting(MetadataRow::materializationId)
                    .containsExactly("run-7@" + TOPIC + "/0/0", "run-7@" + TOPIC + "/0/1");
        }
    }

    @Test
    void aRowTheStoreRefusesIsSkippedAndTheRestLands() throws Exception {
        record(1, KafkaTestClient.row(Map.of("size", 5, "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        apply(records);
        record(2, KafkaTestClient.row(Map.of("size", 6, "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        record(3, KafkaTestClient.row(Map.of("size", "not a number", "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        record(4, KafkaTestClient.row(Map.of("size", 7, "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
        StoreSinkWriter writer = apply(records.subList(1, records.size()));
        assertThat(writer.rowsRejected()).isEqualTo(1);
        assertThat(writer.rowsWritten()).isEqualTo(2);
        try (MetadataStore store = MetadataStores.open(url(), GRAPH, AccessMode.READ)) {
            assertThat(visible(store).keySet()).containsExactly(1L, 2L, 4L);
        }
        assertThat(Files.exists(dir.resolve("sink.duckdb"))).isTrue();
    }
}
