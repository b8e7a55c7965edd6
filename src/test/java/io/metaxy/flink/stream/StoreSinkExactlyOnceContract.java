package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.store.sql.SinkTransaction;
import io.metaxy.flink.store.sql.SqlMetadataStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The store sink's exactly-once contract on a real store: a writer attempt that fails before or
 * after its commit, then a fresh attempt replaying from the last checkpoint, leave each source
 * record's row in the store exactly once — the same rows as one clean pass. Subclasses name the
 * store (DuckDB file, PostgreSQL database).
 */
abstract class StoreSinkExactlyOnceContract {
    static final FeatureGraph GRAPH = StoreSinkWriterTest.GRAPH;
    static final StreamPlan PLAN = StoreSinkWriterTest.PLAN;
    static final String VIDEO = StoreSinkWriterTest.VIDEO;
    static final String TOPIC = StoreSinkWriterTest.TOPIC;

    static final RowParser PARSER = new RowParser(PLAN, RowParser.DEFAULT_MAX_VALUE_BYTES);

    /** A fresh, empty store URL per call. */
    abstract String newStore();

    /** Whether several writers may have transactions open at once (PostgreSQL; DuckDB runs one writer). */
    abstract boolean severalWriters();

    static StoreSinkWriter writer(String url, int subtask) {
        return new StoreSinkWriter(MetadataStores.open(url, GRAPH, AccessMode.WRITE), PLAN, 3, null,
                StoreSink.DEFAULT_SINK_ID, subtask, false);
    }

    /** Root rows, a back-dated soft delete, a hard delete and rewrites on partition {@code partition}, offsets 0…n-1. */
    static List<StampedRow> traffic(int partition, int n) throws Exception {
        List<StampedRow> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i % 4 + partition * 100;
            String value = switch (i % 7) {
                case 3 -> "{\"metaxy_deleted_at\":\"2020-01-01T00:00:00Z\"}";
                case 5 -> null;
                default -> KafkaTestClient.row(Map.of("path", "v" + i + ".mp4\ttab\nnewline\\back",
                        "metaxy_provenance_by_field", Map.of("audio", "a" + i, "frames", "f")));
            };
            out.add(PARSER.parse(RawRecord.of(TOPIC, partition, i, HarnessDriver.ids(id), value)));
        }
        return out;
    }

    static void feed(StoreSinkWriter w, List<StampedRow> rows) {
        for (StampedRow r : rows) {
            w.write(r, null);
        }
    }

    /** Every stored row's (materialization id, provenance, path, deleted?) and the visible samples. */
    static Map<String, Object> contents(String url) {
        try (MetadataStore store = MetadataStores.open(url, GRAPH, AccessMode.READ)) {
            Map<String, Integer> rows = new TreeMap<>();
            for (MetadataRow r : store.read(VIDEO, ReadOptions.defaults().history(true).includeDeleted(true))) {
                rows.merge(r.materializationId() + " " + r.provenance() + " " + r.columns().get("path") + " "
                        + (r.deletedAt() != null) + " " + r.featureVersion(), 1, Integer::sum);
            }
            Map<Object, String> visible = new TreeMap<>();
            store.read(VIDEO).forEach(r -> visible.put(r.ids().get("sample_uid"), r.provenanceByField().get("audio")));
            return Map.of("rows", rows, "visible", visible);
        }
    }

    static Map<String, Long> ledger(String url) {
        try (MetadataStore store = MetadataStores.open(url, GRAPH, AccessMode.WRITE);
                SinkTransaction tx = ((SqlMetadataStore) store).sinkTransaction(StoreSink.DEFAULT_SINK_ID, 0)) {
            return tx.ledger();
        }
    }

    Map<String, Object> cleanPass(List<StampedRow> rows) {
        return cleanPass(newStore(), rows);
    }

    /** What one clean pass of {@code rows} leaves in the empty store {@code url}. */
    static Map<String, Object> cleanPass(String url, List<StampedRow> rows) {
        StoreSinkWriter w = writer(url, 0);
        feed(w, rows);
        w.flush(true);
        w.close();
        return contents(url);
    }

    @Test
    void anAttemptThatFailsBeforeItsCommitLeavesNothingAndTheReplayWritesEachRowOnce() throws Exception {
        List<StampedRow> rows = traffic(0, 20);
        String url = newStore();
        StoreSinkWriter failed = writer(url, 0);
        feed(failed, rows); // several batches appended, no checkpoint: then the task fails
        failed.close();
        assertThat(ledger(url)).isEmpty();
        StoreSinkWriter replay = writer(url, 0);
        feed(replay, rows);
        replay.flush(false);
        replay.close();
        assertThat(replay.rowsSkipped()).isZero();
        assertThat(contents(url)).isEqualTo(cleanPass(rows));
        assertThat(ledger(url)).isEqualTo(Map.of(TOPIC + "/0", 19L));
        // Text with tab, newline and backslash survives the appender / COPY escaping.
        try (MetadataStore store = MetadataStores.open(url, GRAPH, AccessMode.READ)) {
            assertThat(store.read(VIDEO, ReadOptions.defaults().history(true)))
                    .extracting(r -> String.valueOf(r.columns().get("path")))
                    .isNotEmpty().allMatch(p -> p.matches("v[0-9]+\\.mp4\ttab\nnewline\\\\back"));
        }
    }

    @Test
    void anAttemptThatFailsAfterItsCommitIsNotAppliedTwice() throws Exception {
        List<StampedRow> rows = traffic(0, 30);
        String url = newStore();
        StoreSinkWriter failed = writer(url, 0);
        feed(failed, rows.subList(0, 12));
        failed.flush(false);                 // committed (pre-barrier) ...
        feed(failed, rows.subList(12, 20));  // ... then more rows, uncommitted, and the checkpoint never completes
        failed.close();
        // The job restarts from the checkpoint before: offset 5 onwards is replayed.
        StoreSinkWriter replay = writer(url, 0);
        feed(replay, rows.subList(5, 30));
        replay.flush(false);
        replay.close();
        assertThat(replay.rowsSkipped()).isEqualTo(7);
        assertThat(contents(url)).isEqualTo(cleanPass(rows));
        // And a replay of everything once more adds nothing.
        StoreSinkWriter again = writer(url, 0);
        feed(again, rows);
        again.flush(true);
        again.close();
        assertThat(again.rowsSkipped()).isEqualTo(30);
        assertThat(contents(url)).isEqualTo(cleanPass(rows));
    }

    @Test
    void twoWritersOwningDifferentPartitionsKeepTheirOwnPositions() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(severalWriters(), "one writer on this store");
        List<StampedRow> p0 = traffic(0, 14);
        List<StampedRow> p1 = traffic(1, 14);
        String url = newStore();
        StoreSinkWriter w0 = writer(url, 0);
        StoreSinkWriter w1 = writer(url, 1);
        // The first transaction creates the table; another writer's DDL waits for its commit
        // (one thread here: let it commit first).
        feed(w0, p0.subList(0, 7));
        w0.flush(false);
        feed(w1, p1.subList(0, 10));
        feed(w0, p0.subList(7, 10));
        w1.flush(false);
        w0.flush(false);
        feed(w0, p0.subList(10, 14));
        w0.flush(false);
        feed(w1, p1.subList(10, 14)); // w1 fails before its second commit
        w0.close();
        w1.close();
        assertThat(ledger(url)).isEqualTo(Map.of(TOPIC + "/0", 13L, TOPIC + "/1", 9L));
        StoreSinkWriter r1 = writer(url, 1);
        feed(r1, p1.subList(3, 14));
        r1.flush(false);
        r1.close();
        List<StampedRow> all = new ArrayList<>(p0);
        all.addAll(p1);
        assertThat(contents(url)).isEqualTo(cleanPass(all));
    }

    @Test
    void theLedgerIsOneRowPerSinkAndPartition() throws Exception {
        String url = newStore();
        for (int attempt = 0; attempt < 3; attempt++) {
            StoreSinkWriter w = writer(url, 0);
            feed(w, traffic(0, 10 * (attempt + 1)));
            w.flush(false);
            w.close();
        }
        assertThat(ledger(url)).isEqualTo(Map.of(TOPIC + "/0", 29L));
    }
}
