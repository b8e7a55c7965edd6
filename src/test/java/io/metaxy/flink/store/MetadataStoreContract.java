package io.metaxy.flink.store;

import static io.metaxy.flink.store.TestGraphs.CHILD;
import static io.metaxy.flink.store.TestGraphs.EXTRA;
import static io.metaxy.flink.store.TestGraphs.FRAMES;
import static io.metaxy.flink.store.TestGraphs.ITEM;
import static io.metaxy.flink.store.TestGraphs.SUMMARY;
import static io.metaxy.flink.store.TestGraphs.VIDEO;
import static io.metaxy.flink.store.TestGraphs.WITH_OPTIONAL;
import static io.metaxy.flink.store.TestGraphs.video;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.metaxy.flink.definitions.DefinitionException;
import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FieldSpec;
import io.metaxy.flink.versioning.DefinitionVersions;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behavioural suite every backend must pass; subclasses supply a fresh, empty store URL per
 * test. Expected hashes always come from {@link ProvenanceCalculator}, the Java engine.
 */
abstract class MetadataStoreContract {
    final FeatureGraph graph = TestGraphs.graph("1");
    String url;
    MetadataStore store;

    /** A store URL no other test uses; reopening it must see the same data. */
    abstract String newStoreUrl();

    @BeforeEach
    void open() {
        url = newStoreUrl();
        store = MetadataStores.open(url, graph, AccessMode.WRITE);
    }

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    ProvenanceCalculator calc(FeatureGraph g, String feature) {
        return ProvenanceCalculator.of(g, FeatureKey.of(feature), SampleHasher.DEFAULT);
    }

    /** The expected child provenance by field for a video sample, by the Java engine. */
    Map<String, String> childExpected(FeatureGraph g, Map<String, String> videoDataVersions) {
        return calc(g, CHILD).provenanceByField(Map.of(FeatureKey.of(VIDEO), videoDataVersions));
    }

    @Test
    void writeStampsSystemColumnsAndReadReturnsThem() {
        assertThat(store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")))).isEqualTo(2);
        List<MetadataRow> rows = store.read(VIDEO);
        assertThat(rows).hasSize(2);
        MetadataRow first = rows.get(0);
        assertThat(first.ids()).isEqualTo(Map.of("sample_uid", 1L));
        assertThat(first.provenanceByField()).isEqualTo(Map.of("audio", "a1", "frames", "f1"));
        assertThat(first.provenance()).isEqualTo(calc(graph, VIDEO).provenance(Map.of("audio", "a1", "frames", "f1")));
        assertThat(first.dataVersionByField()).isEqualTo(first.provenanceByField());
        assertThat(first.dataVersion()).isEqualTo(first.provenance());
        assertThat(first.featureVersion()).isEqualTo(DefinitionVersions.of(graph).featureVersion(FeatureKey.of(VIDEO)));
        assertThat(first.createdAt()).isNotNull();
        assertThat(first.updatedAt()).isNotNull();
        assertThat(first.deletedAt()).isNull();
        assertThat(store.features()).containsExactly(FeatureKey.of(VIDEO));
    }

    /** A progress counter sees every increment the resolve returns, and does not change the result. */
    @Test
    void resolveProgressCountsTheIncrementsFound() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3")));
        IncrementRow first = store.resolveUpdate(CHILD).added().stream()
                .filter(r -> r.ids().get("sample_uid").equals(1L)).findFirst().orElseThrow();
        store.write(CHILD, List.of(first.toMetadataRow()));
        ResolveProgress progress = new ResolveProgress();
        Increment watched = store.resolveUpdate(CHILD, ResolveOptions.defaults().progress(progress));
        assertThat(watched.added()).hasSize(2);
        assertThat(progress.found()).isEqualTo(2);
        assertThat(progress.rowsRead()).isGreaterThanOrEqualTo(progress.found());
        assertThat(watched.added()).containsExactlyInAnyOrderElementsOf(store.resolveUpdate(CHILD).added());
    }

    @Test
    void laterWriteWinsOnReadAndHistoryKeepsEveryRow() {
        store.write(VIDEO, List.of(video(1, "a1", "f1")));
        store.write(VIDEO, List.of(video(1, "a1-new", "f1"), video(2, "a2", "f2")));
        store.write(VIDEO, List.of(video(2, "a2-x", "f2"), video(2, "a2-y", "f2")));
        List<MetadataRow> latest = store.read(VIDEO);
        assertThat(latest).extracting(r -> r.provenanceByField().get("audio")).containsExactly("a1-new", "a2-y");
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).hasSize(5);
    }

    @Test
    void readRowsStreamsWhatReadReturnsAndTheStoreWritesOnAfterIt() {
        List<MetadataRow> written = new java.util.ArrayList<>();
        for (int i = 0; i < 2_500; i++) {
            written.add(video(i, "a" + i, "f" + i));
        }
        store.write(VIDEO, written);
        List<MetadataRow> streamed = new java.util.ArrayList<>();
        try (MetadataStore.Rows rows = store.readRows(VIDEO, ReadOptions.defaults())) {
            rows.forEachRemaining(streamed::add);
            assertThat(rows.hasNext()).isFalse();
        }
        assertThat(streamed).usingRecursiveComparison().isEqualTo(store.read(VIDEO));
        assertThat(streamed).hasSize(2_500);
        // Closed half-way, the read ends and leaves the store as it was: later writes are committed.
        try (MetadataStore.Rows rows = store.readRows(VIDEO, ReadOptions.defaults())) {
            assertThat(rows.next().ids()).isEqualTo(Map.of("sample_uid", 0L));
        }
        store.write(VIDEO, List.of(video(9_999, "a", "f")));
        store.close();
        store = MetadataStores.open(url, graph, AccessMode.WRITE);
        assertThat(store.read(VIDEO)).hasSize(2_501);
        try (MetadataStore.Rows none = store.readRows(CHILD, ReadOptions.defaults())) {
            assertThat(none.hasNext()).isFalse();
        }
    }

    /** Instants around New York's 2024 DST changes (spring gap, autumn overlap) and a few far from them. */
    static final List<Instant> DST_INSTANTS = List.of(Instant.parse("2024-03-10T06:59:59.999999Z"),
            Instant.parse("2024-03-10T07:00:00Z"), Instant.parse("2024-03-10T07:30:00Z"), Instant.parse("2024-03-10T08:30:00Z"),
            Instant.parse("2024-11-03T05:00:00Z"), Instant.parse("2024-11-03T05:30:00.123456Z"),
            Instant.parse("2024-11-03T06:00:00Z"), Instant.parse("2024-11-03T06:30:00Z"), Instant.parse("2024-07-01T12:00:00Z"),
            Instant.parse("1969-12-31T23:59:59.999999Z"));

    /** Runs {@code body} with the JVM's default time zone set to one with DST, restoring it after. */
    static void inDstTimeZone(Runnable body) {
        TimeZone saved = TimeZone.getDefault();
        TimeZone.setDefault(TimeZone.getTimeZone("America/New_York"));
        try {
            body.run();
        } finally {
            TimeZone.setDefault(saved);
        }
    }

    @Test
    void timestampsReadBackExactlyUnderADstTimeZone() {
        inDstTimeZone(() -> {
            // Reopened inside the zone too: a driver may take the zone when it connects.
            store.close();
            store = MetadataStores.open(url, graph, AccessMode.WRITE);
            List<MetadataRow> rows = new ArrayList<>();
            for (int i = 0; i < DST_INSTANTS.size(); i++) {
                Instant at = DST_INSTANTS.get(i);
                rows.add(video(i, "a", "f").toBuilder().createdAt(at.minusSeconds(1)).updatedAt(at)
                        .deletedAt(i % 2 == 0 ? at : null).build());
            }
            store.write(VIDEO, rows);
            List<MetadataRow> read = store.read(VIDEO, ReadOptions.defaults().includeDeleted(true));
            // metaxy_updated_at is the store's own stamp; created_at and deleted_at are kept as written.
            assertThat(read).extracting(MetadataRow::updatedAt).allMatch(t -> t.isAfter(Instant.now().minusSeconds(60)));
            assertThat(read).extracting(MetadataRow::createdAt)
                    .containsExactlyElementsOf(DST_INSTANTS.stream().map(t -> t.minusSeconds(1)).toList());
            for (int i = 0; i < read.size(); i++) {
                assertThat(read.get(i).deletedAt()).isEqualTo(i % 2 == 0 ? DST_INSTANTS.get(i) : null);
            }
        });
    }

    @Test
    void suppliedUpdatedAtIsNotTrustedSoALaterWriteWins() {
        // Metaxy's write always stamps metaxy_updated_at: a row dated ahead cannot shadow later writes.
        Instant future = Instant.parse("2100-01-01T00:00:00Z");
        Instant past = Instant.parse("2001-01-01T00:00:00Z");
        Instant before = Instant.now().minusSeconds(5);
        store.write(VIDEO, List.of(video(1, "A", "f").toBuilder().updatedAt(future).build()));
        store.write(VIDEO, List.of(video(1, "B", "f").toBuilder().updatedAt(past).build()));
        MetadataRow latest = store.read(VIDEO).get(0);
        assertThat(latest.provenanceByField().get("audio")).isEqualTo("B");
        assertThat(latest.updatedAt()).isAfter(before).isBefore(future);
        // Read-modify-write: the row read back carries its old stamp, and still wins when written again.
        store.write(VIDEO, List.of(latest.toBuilder().column("path", "s3://1").build()));
        MetadataRow rewritten = store.read(VIDEO).get(0);
        assertThat(rewritten.columns()).containsEntry("path", "s3://1");
        assertThat(rewritten.updatedAt()).isAfter(latest.updatedAt());
        assertThat(rewritten.createdAt()).isEqualTo(latest.createdAt());
        // The same winner feeds resolveUpdate.
        assertThat(store.resolveUpdate(CHILD).added()).extracting(IncrementRow::provenance).containsExactly(
                calc(graph, CHILD).provenance(childExpected(graph, Map.of("audio", "B", "frames", "f"))));
    }

    @Test
    void userColumnsAreAddedReadAndSelectable() {
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().column("path", "s3://1").build()));
        store.write(VIDEO, List.of(video(2, "a", "f").toBuilder().column("path", "s3://2").column("size", 42L)
                .column("score", 0.5).column("ok", true).build()));
        List<MetadataRow> rows = store.read(VIDEO);
        assertThat(rows.get(0).columns()).containsEntry("path", "s3://1").containsEntry("size", null);
        assertThat(rows.get(1).columns()).isEqualTo(Map.of("path", "s3://2", "size", 42L, "score", 0.5, "ok", true));
        assertThat(store.read(VIDEO, ReadOptions.defaults().columns(List.of("size"))).get(1).columns())
                .isEqualTo(Map.of("size", 42L));
    }

    @Test
    void softDeleteHidesSamplesAndKeepsHistory() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3")));
        assertThat(store.delete(VIDEO, Filter.le("sample_uid", 2), DeleteMode.SOFT)).isEqualTo(2);
        assertThat(store.read(VIDEO)).extracting(r -> r.ids().get("sample_uid")).containsExactly(3L);
        List<MetadataRow> withDeleted = store.read(VIDEO, ReadOptions.defaults().includeDeleted(true));
        assertThat(withDeleted).hasSize(3);
        assertThat(withDeleted.get(0).deletedAt()).isNotNull();
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).hasSize(5);
        // A later write brings a soft-deleted sample back.
        store.write(VIDEO, List.of(video(1, "a1b", "f1")));
        assertThat(store.read(VIDEO)).extracting(r -> r.ids().get("sample_uid")).containsExactly(1L, 3L);
    }

    @Test
    void hardDeleteRemovesRowsAndDropRemovesTheTable() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.write(VIDEO, List.of(video(1, "a1b", "f1")));
        assertThat(store.delete(VIDEO, Filter.eq("sample_uid", 1L), DeleteMode.HARD)).isEqualTo(2);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).extracting(r -> r.ids().get("sample_uid"))
                .containsExactly(2L);
        store.drop(VIDEO);
        assertThat(store.features()).isEmpty();
        assertThat(store.read(VIDEO)).isEmpty();
    }

    @Test
    void resolveUpdateFindsNewStaleAndOrphaned() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3")));
        Increment first = store.resolveUpdate(CHILD);
        assertThat(first.added()).extracting(IncrementRow::ids)
                .containsExactly(Map.of("sample_uid", 1L), Map.of("sample_uid", 2L), Map.of("sample_uid", 3L));
        assertThat(first.added().get(0).provenanceByField()).isEqualTo(childExpected(graph, Map.of("audio", "a1", "frames", "f1")));
        assertThat(first.added().get(0).provenance())
                .isEqualTo(calc(graph, CHILD).provenance(childExpected(graph, Map.of("audio", "a1", "frames", "f1"))));
        assertThat(first.stale()).isEmpty();
        assertThat(first.orphaned()).isEmpty();

        // Answer samples 1 and 2, record an orphan 4, then change upstream 2.
        store.write(CHILD, List.of(first.added().get(0).toMetadataRow(), first.added().get(1).toMetadataRow()));
        store.write(CHILD, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 4L))
                .provenanceByField(Map.of("audio", "x", "frames", "y")).build()));
        store.write(VIDEO, List.of(video(2, "a2-changed", "f2")));

        Increment next = store.resolveUpdate(CHILD);
        assertThat(next.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        assertThat(next.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        IncrementRow stale = next.stale().get(0);
        assertThat(stale.provenanceByField()).isEqualTo(childExpected(graph, Map.of("audio", "a2-changed", "frames", "f2")));
        assertThat(stale.recordedProvenance()).isEqualTo(first.added().get(1).provenance());
        assertThat(stale.recordedProvenanceByField()).isEqualTo(first.added().get(1).provenanceByField());
        assertThat(next.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 4L));
        assertThat(next.orphaned().get(0).provenance()).isNull();

        LazyIncrement lazy = store.resolveUpdateLazy(CHILD, ResolveOptions.defaults());
        assertThat(lazy.sql()).contains("FULL OUTER JOIN");
        assertThat(lazy.collect()).isEqualTo(next);
    }

    @Test
    void lazyIncrementIsPlannedWhenCollectedNotWhenMade() {
        // Made before any table exists: the parent's and the child's tables come later.
        LazyIncrement beforeParent = store.resolveUpdateLazy(CHILD, ResolveOptions.defaults());
        assertThat(beforeParent.collect().isEmpty()).isTrue();
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        assertThat(beforeParent.collect().added()).extracting(IncrementRow::ids)
                .containsExactly(Map.of("sample_uid", 1L), Map.of("sample_uid", 2L));

        // Made before the child's table exists; then every sample is answered.
        LazyIncrement beforeChild = store.resolveUpdateLazy(CHILD, ResolveOptions.defaults());
        store.write(CHILD, store.resolveUpdate(CHILD).added().stream().map(IncrementRow::toMetadataRow).toList());
        assertThat(beforeChild.sql()).contains("FULL OUTER JOIN");
        assertThat(beforeChild.collect()).isEqualTo(store.resolveUpdate(CHILD)).matches(Increment::isEmpty);

        // An upstream user column added after the lazy increment was made is carried.
        LazyIncrement beforeColumn = store.resolveUpdateLazy(CHILD, ResolveOptions.defaults());
        store.write(VIDEO, List.of(video(3, "a3", "f3").toBuilder().column("path", "s3://3").build()));
        Increment later = beforeColumn.collect();
        assertThat(later.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        assertThat(later.added().get(0).upstream()).isEqualTo(Map.of("path", "s3://3"));
        assertThat(later).isEqualTo(store.resolveUpdate(CHILD));
    }

    @Test
    void incrementsCarryUpstreamUserColumns() {
        store.write(VIDEO, List.of(video(1, "a1", "f1").toBuilder().column("path", "s3://1").column("size", 7L).build()));
        Increment inc = store.resolveUpdate(CHILD);
        assertThat(inc.added().get(0).upstream()).isEqualTo(Map.of("path", "s3://1", "size", 7L));
    }

    @Test
    void deletedUpstreamMakesChildOrphanedAndRootHasNothingToResolve() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.write(CHILD, store.resolveUpdate(CHILD).added().stream().map(IncrementRow::toMetadataRow).toList());
        store.delete(VIDEO, Filter.eq("sample_uid", 2L), DeleteMode.SOFT);
        Increment inc = store.resolveUpdate(CHILD);
        assertThat(inc.added()).isEmpty();
        assertThat(inc.stale()).isEmpty();
        assertThat(inc.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        // As Metaxy's resolve_update: a root feature needs its samples.
        assertThatThrownBy(() -> store.resolveUpdate(VIDEO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(VIDEO).hasMessageContaining("samples");
    }

    @Test
    void codeVersionBumpMakesEverySampleNew() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.write(CHILD, store.resolveUpdate(CHILD).added().stream().map(IncrementRow::toMetadataRow).toList());
        assertThat(store.resolveUpdate(CHILD).isEmpty()).isTrue();
        store.close();
        FeatureGraph bumped = TestGraphs.graph("2");
        store = MetadataStores.open(url, bumped, AccessMode.WRITE);
        Increment inc = store.resolveUpdate(CHILD);
        assertThat(inc.added()).hasSize(2);
        assertThat(inc.stale()).isEmpty();
        assertThat(inc.orphaned()).isEmpty();
        assertThat(inc.added().get(0).provenanceByField()).isEqualTo(childExpected(bumped, Map.of("audio", "a1", "frames", "f1")));
        assertThat(store.read(CHILD)).isEmpty();
        assertThat(store.read(CHILD, ReadOptions.defaults().allFeatureVersions(true))).hasSize(2);
    }

    @Test
    void missingOptionalParentContributesEmptyString() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.write(EXTRA, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 2L)).provenanceByField(Map.of("meta", "m2")).build()));
        Increment inc = store.resolveUpdate(WITH_OPTIONAL);
        ProvenanceCalculator calc = calc(graph, WITH_OPTIONAL);
        Map<FeatureKey, Map<String, String>> without = Map.of(FeatureKey.of(VIDEO), Map.of("audio", "a1", "frames", "f1"));
        Map<FeatureKey, Map<String, String>> with = Map.of(FeatureKey.of(VIDEO), Map.of("audio", "a2", "frames", "f2"),
                FeatureKey.of(EXTRA), Map.of("meta", "m2"));
        assertThat(inc.added()).extracting(IncrementRow::provenanceByField)
                .containsExactly(calc.provenanceByField(without), calc.provenanceByField(with));
    }

    @Test
    void requiredParentMissingMeansNotExpected() {
        store.write(EXTRA, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L)).provenanceByField(Map.of("meta", "m")).build()));
        assertThat(store.resolveUpdate(WITH_OPTIONAL).isEmpty()).isTrue();
    }

    @Test
    void dataVersionOverrideStopsPropagation() {
        MetadataRow original = video(1, "a1", "f1").toBuilder().dataVersionByField(Map.of("audio", "content-a", "frames", "content-f")).build();
        store.write(VIDEO, List.of(original));
        Increment first = store.resolveUpdate(CHILD);
        assertThat(first.added().get(0).provenanceByField())
                .isEqualTo(childExpected(graph, Map.of("audio", "content-a", "frames", "content-f")));
        store.write(CHILD, List.of(first.added().get(0).toMetadataRow()));
        // Recomputed upstream (new provenance) with identical content: the child stays current.
        store.write(VIDEO, List.of(video(1, "a1-rerun", "f1-rerun").toBuilder()
                .dataVersionByField(Map.of("audio", "content-a", "frames", "content-f")).build()));
        assertThat(store.resolveUpdate(CHILD).isEmpty()).isTrue();
    }

    @Test
    void filtersAreTypedAndParameterised() {
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().column("split", "train").build(),
                video(2, "a", "f").toBuilder().column("split", "test").build(),
                video(3, "a", "f").toBuilder().column("split", "it's; DROP TABLE x").build()));
        assertThat(ids(Filter.and(Filter.ge("sample_uid", 2L), Filter.not(Filter.eq("split", "test"))))).containsExactly(3L);
        assertThat(ids(Filter.or(Filter.eq("split", "train"), Filter.in("sample_uid", List.of(3L))))).containsExactly(1L, 3L);
        assertThat(ids(Filter.eq("split", "it's; DROP TABLE x"))).containsExactly(3L);
        assertThat(ids(Filter.parse("sample_uid<3"))).containsExactly(1L, 2L);
        assertThat(ids(Filter.isNull("split"))).isEmpty();
        assertThatThrownBy(() -> ids(Filter.eq("split\"; --", "x"))).isInstanceOf(SchemaMismatchException.class);
    }

    @Test
    void filterValuesAreConvertedToTheColumnType() {
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().column("split", "5").column("score", 0.5).column("ok", true).build(),
                video(2, "a", "f").toBuilder().column("split", "05").column("score", 2.0).column("ok", false).build()));
        // Text against BIGINT/DOUBLE/BOOLEAN columns is the number or boolean (PostgreSQL has no bigint = varchar).
        assertThat(ids(Filter.eq("sample_uid", "2"))).containsExactly(2L);
        assertThat(ids(Filter.in("sample_uid", List.of("1", 2L)))).containsExactly(1L, 2L);
        assertThat(ids(Filter.lt("sample_uid", "1.5"))).containsExactly(1L);
        assertThat(ids(Filter.gt("score", "1"))).containsExactly(2L);
        assertThat(ids(Filter.eq("ok", "false"))).containsExactly(2L);
        // A number against a text column is its text, not a cast of the column.
        assertThat(ids(Filter.eq("split", 5L))).containsExactly(1L);
        assertThat(ids(Filter.parse("split=05"))).containsExactly(2L);
        assertThatThrownBy(() -> ids(Filter.eq("sample_uid", "abc"))).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining(VIDEO).hasMessageContaining("sample_uid").hasMessageContaining("'abc'");
        assertThatThrownBy(() -> ids(Filter.eq("ok", 3L))).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'ok'");
        assertThatThrownBy(() -> ids(Filter.eq("nope", 1L))).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining(VIDEO).hasMessageContaining("'nope'");
        assertThatThrownBy(() -> ids(Filter.eq(SystemColumns.PROVENANCE_BY_FIELD, "x"))).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining(SystemColumns.PROVENANCE_BY_FIELD);
    }

    @Test
    void textIdsKeepTheirTextInFilters() {
        for (String id : List.of("001", "1", "01")) {
            store.write(ITEM, List.of(MetadataRow.builder().ids(Map.of("group_id", 1L, "item_id", id))
                    .provenanceByField(Map.of("value", "v")).build()));
        }
        assertThat(store.read(ITEM, ReadOptions.defaults().filter(Filter.parse("item_id=001"))))
                .extracting(r -> r.ids().get("item_id")).containsExactly("001");
        assertThat(store.delete(ITEM, Filter.and(Filter.parse("group_id=1"), Filter.parse("item_id=01")), DeleteMode.HARD))
                .isEqualTo(1);
    }

    @Test
    void timestampFiltersTakeInstantsUnderADstTimeZone() {
        inDstTimeZone(() -> {
            List<MetadataRow> rows = new ArrayList<>();
            for (int i = 0; i < DST_INSTANTS.size(); i++) {
                rows.add(video(i, "a", "f").toBuilder().createdAt(DST_INSTANTS.get(i)).build());
            }
            store.write(VIDEO, rows);
            for (int i = 0; i < DST_INSTANTS.size(); i++) {
                Instant at = DST_INSTANTS.get(i);
                assertThat(ids(Filter.eq(SystemColumns.CREATED_AT, at))).as("created_at = %s", at).containsExactly((long) i);
                assertThat(ids(Filter.eq(SystemColumns.CREATED_AT, at.toString()))).containsExactly((long) i);
            }
            assertThat(ids(Filter.parse(SystemColumns.CREATED_AT + ">=2024-11-03T06:00:00Z")))
                    .containsExactly(6L, 7L);
            assertThatThrownBy(() -> ids(Filter.eq(SystemColumns.CREATED_AT, "yesterday")))
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(SystemColumns.CREATED_AT)
                    .hasMessageContaining("yesterday");
        });
    }

    private List<Object> ids(Filter filter) {
        return store.read(VIDEO, ReadOptions.defaults().filter(filter)).stream().map(r -> r.ids().get("sample_uid")).toList();
    }

    @Test
    void stalenessPredicatesAndTargetFilters() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3")));
        List<IncrementRow> added = store.resolveUpdate(CHILD).added();
        store.write(CHILD, List.of(added.get(0).toMetadataRow().toBuilder().column("quality", "bad").build(),
                added.get(1).toMetadataRow().toBuilder().column("quality", "good").build()));
        Increment inc = store.resolveUpdate(CHILD, ResolveOptions.defaults().stalenessPredicate(Filter.eq("quality", "bad")));
        assertThat(inc.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L));
        assertThat(inc.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        Increment global = store.resolveUpdate(CHILD, ResolveOptions.defaults().globalFilter(Filter.lt("sample_uid", 3L)));
        assertThat(global.isEmpty()).isTrue();
    }

    @Test
    void targetFiltersFilterTheFeaturesOwnCurrentRowsOnAnyColumn() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3")));
        List<IncrementRow> added = store.resolveUpdate(CHILD).added();
        store.write(CHILD, List.of(added.get(0).toMetadataRow().toBuilder().column("quality", "bad").build(),
                added.get(1).toMetadataRow().toBuilder().column("quality", "good").build()));
        store.write(VIDEO, List.of(video(2, "a2-changed", "f2")));
        // As Metaxy's target_filters: only the stored rows matching are compared; the upstream is
        // not filtered, so sample 1 (stored, but filtered out) is new again, like sample 3.
        Increment good = store.resolveUpdate(CHILD, ResolveOptions.defaults().targetFilter(Filter.eq("quality", "good")));
        assertThat(good.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L), Map.of("sample_uid", 3L));
        assertThat(good.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        // System columns may be named too, and a global filter still restricts the samples.
        Increment bySystem = store.resolveUpdate(CHILD, ResolveOptions.defaults()
                .targetFilter(Filter.eq(SystemColumns.PROVENANCE, added.get(0).provenance()))
                .globalFilter(Filter.le("sample_uid", 2L)));
        assertThat(bySystem.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        assertThat(bySystem.stale()).isEmpty();
        assertThatThrownBy(() -> store.resolveUpdate(CHILD, ResolveOptions.defaults().targetFilter(Filter.eq("no_such", 1L))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(CHILD).hasMessageContaining("no_such");
        assertThatThrownBy(() -> store.resolveUpdate(CHILD, ResolveOptions.defaults().targetFilter(Filter.eq("__metaxy_rn", 1L))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("'__metaxy_rn'");
    }

    @Test
    void globalFiltersMayOnlyNameTheIncrementKeys() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        for (String internal : List.of("__kind", "__c", "__e", "metaxy_provenance")) {
            assertThatThrownBy(() -> store.resolveUpdate(CHILD, ResolveOptions.defaults().globalFilter(Filter.eq(internal, "new"))))
                    .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(CHILD).hasMessageContaining("'" + internal + "'");
        }
        // A 1:N feature's increments are keyed by the parent's 'on' columns, not the child's own ids.
        assertThatThrownBy(() -> store.resolveUpdateLazy(FRAMES, ResolveOptions.defaults().globalFilter(
                Filter.and(Filter.eq("sample_uid", 1L), Filter.eq("frame", 0L)))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(FRAMES).hasMessageContaining("'frame'");
        assertThat(store.resolveUpdate(FRAMES, ResolveOptions.defaults().globalFilter(Filter.eq("sample_uid", "2"))).added())
                .extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        // Staleness predicates are checked against the feature's table once it exists.
        store.write(CHILD, store.resolveUpdate(CHILD).added().stream().map(IncrementRow::toMetadataRow).toList());
        assertThatThrownBy(() -> store.resolveUpdate(CHILD, ResolveOptions.defaults().stalenessPredicate(Filter.eq("__metaxy_rn", 1L))))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("'__metaxy_rn'");
    }

    @Test
    void expansionResolvesAtParentGranularity() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        Increment inc = store.resolveUpdate(FRAMES);
        ProvenanceCalculator calc = calc(graph, FRAMES);
        Map<String, String> expected1 = calc.provenanceByField(Map.of(FeatureKey.of(VIDEO), Map.of("audio", "a1", "frames", "f1")));
        assertThat(inc.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L), Map.of("sample_uid", 2L));
        assertThat(inc.added().get(0).provenanceByField()).isEqualTo(expected1);
        // The worker writes several children per parent, all with the parent's expected provenance.
        for (long frame = 0; frame < 3; frame++) {
            store.write(FRAMES, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L, "frame", frame))
                    .provenanceByField(expected1).build()));
        }
        Increment next = store.resolveUpdate(FRAMES);
        assertThat(next.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        assertThat(next.stale()).isEmpty();
        store.write(VIDEO, List.of(video(1, "a1", "f1-new")));
        assertThat(store.resolveUpdate(FRAMES).stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L));
    }

    @Test
    void aggregationHashesMembersInIdOrder() {
        store.write(ITEM, List.of(item(1, 10, "v10"), item(1, 2, "v2"), item(1, 9, "v9"), item(2, 1, "w1")));
        Increment inc = store.resolveUpdate(SUMMARY);
        ProvenanceCalculator calc = calc(graph, SUMMARY);
        // Numeric member ids order numerically: 2, 9, 10.
        String group1 = ProvenanceCalculator.aggregate(SampleHasher.DEFAULT, List.of("v2", "v9", "v10"));
        String group2 = ProvenanceCalculator.aggregate(SampleHasher.DEFAULT, List.of("w1"));
        assertThat(inc.added()).extracting(IncrementRow::ids).containsExactly(Map.of("group_id", 1L), Map.of("group_id", 2L));
        assertThat(inc.added()).extracting(IncrementRow::provenanceByField).containsExactly(
                calc.provenanceByField(Map.of(FeatureKey.of(ITEM), Map.of("value", group1))),
                calc.provenanceByField(Map.of(FeatureKey.of(ITEM), Map.of("value", group2))));
    }

    @Test
    void aggregationOrdersTextMemberIdsLikeJava() {
        List<String> itemIds = List.of("b", "B", "a", "é", "aa");
        for (String id : itemIds) {
            store.write(ITEM, List.of(MetadataRow.builder().ids(Map.of("group_id", 1L, "item_id", id))
                    .provenanceByField(Map.of("value", "v-" + id)).build()));
        }
        List<String> ordered = itemIds.stream().sorted(ProvenanceCalculator.ID_VALUE_ORDER).map(id -> "v-" + id).toList();
        String group = ProvenanceCalculator.aggregate(SampleHasher.DEFAULT, ordered);
        assertThat(store.resolveUpdate(SUMMARY).added()).extracting(IncrementRow::provenanceByField)
                .containsExactly(calc(graph, SUMMARY).provenanceByField(Map.of(FeatureKey.of(ITEM), Map.of("value", group))));
    }

    private static MetadataRow item(long group, long item, String value) {
        return MetadataRow.builder().ids(Map.of("group_id", group, "item_id", item)).provenanceByField(Map.of("value", value)).build();
    }

    // ------------------------------------------------ Metaxy's examples, as their pipeline.py run them

    /** Reopens the test's store under another graph (same tables). */
    private void reopen(FeatureGraph g) {
        store.close();
        store = MetadataStores.open(url, g, AccessMode.WRITE);
    }

    /** The worker of example-expansion: splits each video of the increment into its fixed number of chunks. */
    private void writeChunks(List<IncrementRow> videos, Map<Long, Integer> chunkCounts) {
        List<MetadataRow> chunks = new ArrayList<>();
        for (IncrementRow video : videos) {
            long videoId = (Long) video.ids().get("video_id");
            String path = (String) video.upstream().get("path");
            for (int i = 0; i < chunkCounts.get(videoId); i++) {
                // All chunks of one video share the video's expected provenance.
                chunks.add(MetadataRow.builder().ids(Map.of("video_chunk_id", videoId + "_" + i))
                        .column("video_id", videoId).column("path", path + "#" + i)
                        .provenanceByField(video.provenanceByField()).provenance(video.provenance()).build());
            }
        }
        store.write(TestGraphs.VIDEO_CHUNK, chunks);
    }

    @Test
    void metaxyExpansionExample() {
        reopen(TestGraphs.examples("1"));
        List<MetadataRow> videos = new ArrayList<>();
        for (long v = 1; v <= 3; v++) {
            videos.add(MetadataRow.builder().ids(Map.of("video_id", v)).column("path", "video" + v + ".mp4")
                    .provenanceByField(Map.of("audio", "v" + v, "frames", "v" + v)).build());
        }
        store.write(TestGraphs.RAW_VIDEO, videos);
        Map<Long, Integer> counts = Map.of(1L, 4, 2L, 4, 3L, 3);

        // "Found 3 new videos and 0 stale videos that need chunking": increments at the video's grain.
        Increment chunking = store.resolveUpdate(TestGraphs.VIDEO_CHUNK);
        assertThat(chunking.added()).extracting(IncrementRow::ids)
                .containsExactly(Map.of("video_id", 1L), Map.of("video_id", 2L), Map.of("video_id", 3L));
        assertThat(chunking.added()).extracting(r -> r.upstream().get("path")).containsExactly("video1.mp4", "video2.mp4", "video3.mp4");
        assertThat(chunking.added()).allSatisfy(r -> assertThat(r.members()).isEmpty());
        assertThat(chunking.stale()).isEmpty();
        assertThat(chunking.added().get(0).provenanceByField()).isEqualTo(calc(store.graph(), TestGraphs.VIDEO_CHUNK)
                .provenanceByField(Map.of(FeatureKey.of(TestGraphs.RAW_VIDEO), Map.of("audio", "v1", "frames", "v1"))));
        writeChunks(chunking.added(), counts);
        assertThat(store.read(TestGraphs.VIDEO_CHUNK)).hasSize(11);

        // "Found 11 new video chunks and 0 stale": the faces are per chunk.
        Increment faces = store.resolveUpdate(TestGraphs.FACES);
        assertThat(faces.added()).hasSize(11).extracting(r -> r.ids().get("video_chunk_id")).startsWith("1_0", "1_1");
        assertThat(faces.added().get(0).upstream()).containsEntry("video_id", 1L).containsEntry("path", "video1.mp4#0");
        assertThat(faces.stale()).isEmpty();
        store.write(TestGraphs.FACES, faces.added().stream()
                .map(r -> r.toMetadataRow().toBuilder().column("num_faces", 2L).build()).toList());

        // Idempotent rerun.
        assertThat(store.resolveUpdate(TestGraphs.VIDEO_CHUNK).isEmpty()).isTrue();
        assertThat(store.resolveUpdate(TestGraphs.FACES).isEmpty()).isTrue();

        // Patch 01: video/raw's audio code version 1 → 2. The chunks' feature version changes, so
        // every video needs chunking again ("Found 3 new videos and 0 stale") …
        reopen(TestGraphs.examples("2"));
        // The pipeline's first step writes the videos again under video/raw's new feature version.
        store.write(TestGraphs.RAW_VIDEO, videos);
        Increment rechunking = store.resolveUpdate(TestGraphs.VIDEO_CHUNK);
        assertThat(rechunking.added()).hasSize(3);
        assertThat(rechunking.stale()).isEmpty();
        writeChunks(rechunking.added(), counts);
        // … while the faces, which read only the chunks' frames, stay current.
        Increment facesAfter = store.resolveUpdate(TestGraphs.FACES);
        assertThat(facesAfter.added()).isEmpty();
        assertThat(facesAfter.stale()).isEmpty();
        assertThat(facesAfter.orphaned()).isEmpty();
        assertThat(store.resolveUpdate(TestGraphs.VIDEO_CHUNK).isEmpty()).isTrue();

        // A frames change of one video: its chunks are stale as one increment, then their faces.
        store.write(TestGraphs.RAW_VIDEO, List.of(videos.get(1).toBuilder()
                .provenanceByField(Map.of("audio", "v2", "frames", "v2-new")).build()));
        Increment changed = store.resolveUpdate(TestGraphs.VIDEO_CHUNK);
        assertThat(changed.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("video_id", 2L));
        writeChunks(changed.stale(), counts);
        assertThat(store.resolveUpdate(TestGraphs.FACES).stale()).extracting(r -> r.ids().get("video_chunk_id"))
                .containsExactly("2_0", "2_1", "2_2", "2_3");
    }

    private static MetadataRow audio(String id, String speaker, double duration, String version) {
        return MetadataRow.builder().ids(Map.of("audio_id", id)).column("speaker_id", speaker)
                .column("duration_seconds", duration).column("path", "audio/" + id + ".wav")
                .provenanceByField(Map.of("default", version)).build();
    }

    private static Map<String, Object> member(String id, String speaker, double duration) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("audio_id", id);
        m.put("speaker_id", speaker);
        m.put("duration_seconds", duration);
        m.put("path", "audio/" + id + ".wav");
        return m;
    }

    /** The expected embedding provenance: the fold of the members' data versions in audio_id order. */
    private String embedding(String... memberVersions) {
        String group = io.metaxy.flink.versioning.IncrementRules.fold(SampleHasher.DEFAULT, List.of(memberVersions));
        ProvenanceCalculator c = calc(store.graph(), TestGraphs.SPEAKER);
        return c.provenance(c.provenanceByField(Map.of(FeatureKey.of(TestGraphs.AUDIO), Map.of("default", group))));
    }

    /** The worker of example-aggregation: one embedding per speaker of the increment. */
    private void writeEmbeddings(List<IncrementRow> speakers) {
        store.write(TestGraphs.SPEAKER, speakers.stream().map(r -> r.toMetadataRow().toBuilder().column("n_dim", 512L)
                .column("path", "embeddings/" + r.ids().get("speaker_id") + ".npy").build()).toList());
    }

    @Test
    void metaxyAggregationExample() {
        reopen(TestGraphs.examples("1"));
        store.write(TestGraphs.AUDIO, List.of(audio("a1", "s1", 30.5, "a1_v1"), audio("a2", "s1", 45.2, "a2_v1"),
                audio("a3", "s2", 60.0, "a3_v1"), audio("a4", "s2", 35.8, "a4_v1")));

        // "Found 2 speakers that need embedding computation", each carrying its recordings.
        Increment first = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(first.added()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s1"), Map.of("speaker_id", "s2"));
        assertThat(first.added()).extracting(IncrementRow::provenance)
                .containsExactly(embedding("a1_v1", "a2_v1"), embedding("a3_v1", "a4_v1"));
        assertThat(first.added().get(0).members()).isEqualTo(Map.of(TestGraphs.AUDIO,
                List.of(member("a1", "s1", 30.5), member("a2", "s1", 45.2))));
        assertThat(first.added().get(1).members().get(TestGraphs.AUDIO)).extracting(m -> m.get("audio_id")).containsExactly("a3", "a4");
        assertThat(first.added()).allSatisfy(r -> assertThat(r.upstream()).isEmpty());
        writeEmbeddings(first.added());

        // Idempotent rerun: "Found 0 speakers".
        assertThat(store.resolveUpdate(TestGraphs.SPEAKER).isEmpty()).isTrue();

        // Patch 01: a1's provenance v1 → v2: only s1.
        store.write(TestGraphs.AUDIO, List.of(audio("a1", "s1", 30.5, "a1_v2")));
        Increment changed = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(changed.added()).isEmpty();
        assertThat(changed.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s1"));
        assertThat(changed.stale().get(0).provenance()).isEqualTo(embedding("a1_v2", "a2_v1"));
        assertThat(changed.stale().get(0).recordedProvenance()).isEqualTo(embedding("a1_v1", "a2_v1"));
        assertThat(changed.stale().get(0).members().get(TestGraphs.AUDIO)).extracting(m -> m.get("audio_id")).containsExactly("a1", "a2");
        writeEmbeddings(changed.stale());

        // Patch 02: a new recording a5 of s1: only s1.
        store.write(TestGraphs.AUDIO, List.of(audio("a5", "s1", 25.0, "a5_v1")));
        Increment grown = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(grown.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s1"));
        assertThat(grown.stale().get(0).members().get(TestGraphs.AUDIO)).extracting(m -> m.get("audio_id"))
                .containsExactly("a1", "a2", "a5");
        writeEmbeddings(grown.stale());
        assertThat(store.resolveUpdate(TestGraphs.SPEAKER).isEmpty()).isTrue();

        // A recording moves to the other speaker: both groups change.
        store.write(TestGraphs.AUDIO, List.of(audio("a2", "s2", 45.2, "a2_v1")));
        Increment moved = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(moved.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s1"), Map.of("speaker_id", "s2"));
        assertThat(moved.stale()).extracting(IncrementRow::provenance)
                .containsExactly(embedding("a1_v2", "a5_v1"), embedding("a2_v1", "a3_v1", "a4_v1"));
        assertThat(moved.stale().get(1).members().get(TestGraphs.AUDIO)).containsExactly(
                member("a2", "s2", 45.2), member("a3", "s2", 60.0), member("a4", "s2", 35.8));
        writeEmbeddings(moved.stale());

        // A hard-deleted recording: its group is stale, without it.
        store.delete(TestGraphs.AUDIO, Filter.eq("audio_id", "a3"), DeleteMode.HARD);
        Increment shrunk = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(shrunk.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s2"));
        assertThat(shrunk.stale().get(0).provenance()).isEqualTo(embedding("a2_v1", "a4_v1"));
        assertThat(shrunk.stale().get(0).members().get(TestGraphs.AUDIO)).extracting(m -> m.get("audio_id")).containsExactly("a2", "a4");
        writeEmbeddings(shrunk.stale());

        // Every member of a speaker gone: the embedding is orphaned (no members carried).
        store.delete(TestGraphs.AUDIO, Filter.in("audio_id", List.of("a1", "a5")), DeleteMode.SOFT);
        Increment gone = store.resolveUpdate(TestGraphs.SPEAKER);
        assertThat(gone.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("speaker_id", "s1"));
        assertThat(gone.orphaned().get(0).members()).isEmpty();
        assertThat(gone.added()).isEmpty();
        assertThat(gone.stale()).isEmpty();
    }

    @Test
    void writesMustCarryTheOnColumnsOfTheirLineage() {
        reopen(TestGraphs.examples("1"));
        MetadataRow noSpeaker = MetadataRow.builder().ids(Map.of("audio_id", "a1")).column("path", "p")
                .provenanceByField(Map.of("default", "v")).build();
        assertThatThrownBy(() -> store.write(TestGraphs.AUDIO, List.of(noSpeaker)))
                .isInstanceOf(MetadataStoreException.class).hasMessageContaining("'audio'").hasMessageContaining("'speaker_id'");
        assertThatThrownBy(() -> store.write(TestGraphs.AUDIO, List.of(noSpeaker.toBuilder().column("speaker_id", null).build())))
                .isInstanceOf(MetadataStoreException.class).hasMessageContaining("'audio'").hasMessageContaining("'speaker_id'");
        store.write(TestGraphs.RAW_VIDEO, List.of(MetadataRow.builder().ids(Map.of("video_id", 1L))
                .provenanceByField(Map.of("audio", "a", "frames", "f")).build()));
        IncrementRow video = store.resolveUpdate(TestGraphs.VIDEO_CHUNK).added().get(0);
        assertThatThrownBy(() -> store.write(TestGraphs.VIDEO_CHUNK, List.of(MetadataRow.builder().ids(Map.of("video_chunk_id", "1_0"))
                .provenanceByField(video.provenanceByField()).build())))
                .isInstanceOf(MetadataStoreException.class).hasMessageContaining("'video/chunk'").hasMessageContaining("'video_id'");
        assertThat(store.read(TestGraphs.VIDEO_CHUNK)).isEmpty();
        assertThat(store.features()).containsExactly(FeatureKey.of(TestGraphs.RAW_VIDEO));
    }

    /** The reversed rename: a parent of an N:1 dep must carry the 'on' columns under its own names. */
    @Test
    void onColumnsOfAnAggregationAreCheckedUnderTheParentsOwnNames() {
        FeatureSpec clip = FeatureSpec.builder("test/clip").idColumns("clip_id").field(FieldSpec.of("v")).build();
        FeatureSpec person = FeatureSpec.builder("test/person").idColumns("person_id")
                .dep(FeatureDep.on("test/clip").rename(Map.of("who", "person_id"))
                        .lineage(io.metaxy.flink.definitions.Lineage.aggregation(List.of("person_id"))).build())
                .field(FieldSpec.of("v", "1")).build();
        reopen(FeatureGraph.of(List.of(clip, person)));
        assertThatThrownBy(() -> store.write("test/clip", List.of(MetadataRow.builder().ids(Map.of("clip_id", 1L))
                .column("person_id", "p").provenanceByField(Map.of("v", "x")).build())))
                .isInstanceOf(MetadataStoreException.class).hasMessageContaining("'test/clip'").hasMessageContaining("'who'");
        store.write("test/clip", List.of(MetadataRow.builder().ids(Map.of("clip_id", 2L)).column("who", "p")
                .provenanceByField(Map.of("v", "x")).build(), MetadataRow.builder().ids(Map.of("clip_id", 1L)).column("who", "p")
                .provenanceByField(Map.of("v", "y")).build()));
        IncrementRow p = store.resolveUpdate("test/person").added().get(0);
        assertThat(p.ids()).isEqualTo(Map.of("person_id", "p"));
        assertThat(p.members()).isEqualTo(Map.of("test/clip", List.of(Map.of("clip_id", 1L, "person_id", "p"),
                Map.of("clip_id", 2L, "person_id", "p"))));
    }

    @Test
    void writingInReadModeFails() {
        store.write(VIDEO, List.of(video(1, "a1", "f1")));
        store.close();
        store = MetadataStores.open(url, graph, AccessMode.READ);
        assertThat(store.read(VIDEO)).hasSize(1);
        assertThatThrownBy(() -> store.write(VIDEO, List.of(video(2, "a", "f"))))
                .isInstanceOf(ReadOnlyStoreException.class).hasMessageContaining(VIDEO);
        assertThatThrownBy(() -> store.delete(VIDEO, null, DeleteMode.HARD)).isInstanceOf(ReadOnlyStoreException.class);
        assertThatThrownBy(() -> store.drop(VIDEO)).isInstanceOf(ReadOnlyStoreException.class);
    }

    @Test
    void unknownFeatureFails() {
        assertThatThrownBy(() -> store.read("no/such"))
                .isInstanceOf(UnknownFeatureException.class).hasMessageContaining("no/such");
        assertThatThrownBy(() -> store.resolveUpdate("no/such"))
                .isInstanceOf(UnknownFeatureException.class).hasMessageContaining("no/such");
        assertThatThrownBy(() -> store.resolveUpdate("no/such", List.of()))
                .isInstanceOf(UnknownFeatureException.class).hasMessageContaining("no/such");
        assertThatThrownBy(() -> store.delete("no/such", null, DeleteMode.HARD))
                .isInstanceOf(UnknownFeatureException.class).hasMessageContaining("no/such");
        assertThatThrownBy(() -> store.write("no/such", List.of(video(1, "a", "f"))))
                .isInstanceOf(UnknownFeatureException.class).hasMessageContaining("no/such");
        assertThatThrownBy(() -> store.write("Not A Key", List.of()))
                .isInstanceOf(UnknownFeatureException.class);
    }

    @Test
    void schemaMismatchesNameFeatureAndColumn() {
        assertThatThrownBy(() -> store.write(VIDEO, List.of(MetadataRow.builder().ids(Map.of("other", 1L))
                .provenanceByField(Map.of("audio", "a", "frames", "f")).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(VIDEO).hasMessageContaining("sample_uid");
        assertThatThrownBy(() -> store.write(CHILD, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L)).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(CHILD)
                .hasMessageContaining(SystemColumns.PROVENANCE_BY_FIELD);
        assertThatThrownBy(() -> store.write(VIDEO, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L))
                .provenanceByField(Map.of("audio", "a")).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("frames");
        assertThatThrownBy(() -> store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().column("bad name", 1L).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("bad name");
        assertThat(store.features()).isEmpty();
    }

    @Test
    void suppliedDataVersionMustMatchAndFeatureVersionIsKept() {
        Map<String, String> content = Map.of("audio", "content-a", "frames", "content-f");
        String dataVersion = calc(graph, VIDEO).provenance(content);
        assertThatThrownBy(() -> store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().dataVersionByField(content)
                .dataVersion("bogus").build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(VIDEO)
                .hasMessageContaining(SystemColumns.DATA_VERSION).hasMessageContaining("bogus").hasMessageContaining(dataVersion);
        // Without a by-field override the data version is the provenance: a different one is refused too.
        assertThatThrownBy(() -> store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().dataVersion(dataVersion).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining(SystemColumns.DATA_VERSION);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).isEmpty();

        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().dataVersionByField(content).dataVersion(dataVersion).build()));
        store.write(VIDEO, List.of(video(2, "a", "f").toBuilder().featureVersion("an-older-version").build()),
                WriteOptions.append().preserveFeatureVersion());
        assertThat(store.read(VIDEO)).extracting(MetadataRow::dataVersion).containsExactly(dataVersion);
        assertThat(store.read(VIDEO, ReadOptions.defaults().allFeatureVersions(true)))
                .extracting(MetadataRow::featureVersion).contains("an-older-version");
    }

    @Test
    void writeStampsTheCurrentFeatureVersionUnlessAskedToPreserveIt() {
        String current = DefinitionVersions.of(graph).featureVersion(FeatureKey.of(VIDEO));
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().featureVersion("stale-version").build()));
        assertThat(store.read(VIDEO)).extracting(MetadataRow::featureVersion).containsExactly(current);
        store.write(VIDEO, List.of(video(2, "a", "f").toBuilder().featureVersion("rebased").build(),
                video(3, "a", "f")), WriteOptions.idempotent().preserveFeatureVersion());
        assertThat(store.read(VIDEO, ReadOptions.defaults().featureHistory(true))).extracting(MetadataRow::featureVersion)
                .containsExactly(current, "rebased", current);
    }

    @Test
    void hardDeleteRemovesTheCurrentVersionsRowsUnlessAskedForTheWholeHistory() {
        store.write(VIDEO, List.of(video(1, "a", "f"), video(2, "a", "f")));
        store.write(VIDEO, List.of(video(1, "old", "f").toBuilder().featureVersion("v0").build(),
                video(3, "old", "f").toBuilder().featureVersion("v0").build()), WriteOptions.append().preserveFeatureVersion());
        assertThat(store.delete(VIDEO, Filter.le("sample_uid", 1L), DeleteMode.HARD)).isEqualTo(1);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).extracting(r -> r.ids().get("sample_uid") + "/"
                + r.provenanceByField().get("audio")).containsExactlyInAnyOrder("1/old", "2/a", "3/old");
        assertThat(store.delete(VIDEO, null, DeleteMode.HARD, true)).isEqualTo(3);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).isEmpty();
        // Soft deletes too: only the current version's samples unless asked for the history.
        store.write(VIDEO, List.of(video(1, "a", "f")));
        store.write(VIDEO, List.of(video(3, "old", "f").toBuilder().featureVersion("v0").build()),
                WriteOptions.append().preserveFeatureVersion());
        assertThat(store.delete(VIDEO, null, DeleteMode.SOFT)).isEqualTo(1);
        assertThat(store.read(VIDEO, ReadOptions.defaults().featureHistory(true))).extracting(r -> r.ids().get("sample_uid"))
                .containsExactly(3L);
        assertThat(store.delete(VIDEO, null, DeleteMode.SOFT, true)).isEqualTo(1);
        assertThat(store.read(VIDEO, ReadOptions.defaults().featureHistory(true))).isEmpty();
    }

    @Test
    void readWithFeatureHistoryGivesTheLatestRowPerSampleAcrossVersions() {
        String current = DefinitionVersions.of(graph).featureVersion(FeatureKey.of(VIDEO));
        store.write(VIDEO, List.of(video(1, "a1", "f"), video(2, "a2", "f")));
        store.write(VIDEO, List.of(video(2, "a2-v0", "f").toBuilder().featureVersion("v0").build(),
                video(4, "a4-v0", "f").toBuilder().featureVersion("v0").build()), WriteOptions.append().preserveFeatureVersion());
        assertThat(store.read(VIDEO, ReadOptions.defaults().featureHistory(true)))
                .extracting(r -> r.ids().get("sample_uid") + "/" + r.provenanceByField().get("audio") + "/" + r.featureVersion())
                .containsExactly("1/a1/" + current, "2/a2-v0/v0", "4/a4-v0/v0");
        assertThat(store.read(VIDEO)).extracting(r -> r.provenanceByField().get("audio")).containsExactly("a1", "a2");
        assertThat(store.read(VIDEO, ReadOptions.defaults().featureHistory(true).filter(Filter.eq("sample_uid", 2L))))
                .hasSize(1);
    }

    @Test
    void metaxysOtherSystemColumnsAreKept() {
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().projectVersion("proj-1").definitionVersion("def-1").build(),
                video(2, "a", "f")));
        List<MetadataRow> rows = store.read(VIDEO);
        assertThat(rows).extracting(MetadataRow::projectVersion).containsExactly("proj-1", null);
        assertThat(rows).extracting(MetadataRow::definitionVersion).containsExactly("def-1", null);
        // Soft-delete tombstones copy them; filters may name them.
        assertThat(store.read(VIDEO, ReadOptions.defaults().filter(Filter.eq(SystemColumns.PROJECT_VERSION, "proj-1"))))
                .hasSize(1);
        store.delete(VIDEO, Filter.eq("sample_uid", 1L), DeleteMode.SOFT);
        assertThat(store.read(VIDEO, ReadOptions.defaults().includeDeleted(true)).get(0).projectVersion()).isEqualTo("proj-1");
    }

    @Test
    void rootSamplesAreComparedWithTheCurrentRows() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2"), video(3, "a3", "f3").toBuilder().column("path", "s3://3").build()));
        List<MetadataRow> samples = List.of(video(1, "a1", "f1"), video(2, "a2-new", "f2"),
                video(5, "a5", "f5").toBuilder().column("path", "s3://5").build());
        Increment inc = store.resolveUpdate(VIDEO, samples);
        ProvenanceCalculator calc = calc(graph, VIDEO);
        assertThat(inc.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 5L));
        assertThat(inc.added().get(0).provenance()).isEqualTo(calc.provenance(Map.of("audio", "a5", "frames", "f5")));
        assertThat(inc.added().get(0).upstream()).isEqualTo(Map.of("path", "s3://5"));
        assertThat(inc.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        assertThat(inc.stale().get(0).provenance()).isEqualTo(calc.provenance(Map.of("audio", "a2-new", "frames", "f2")));
        assertThat(inc.stale().get(0).recordedProvenance()).isEqualTo(calc.provenance(Map.of("audio", "a2", "frames", "f2")));
        assertThat(inc.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        // The answer is written and the same samples then need nothing but the orphan.
        store.write(VIDEO, inc.added().stream().map(IncrementRow::toMetadataRow).toList());
        store.write(VIDEO, inc.stale().stream().map(IncrementRow::toMetadataRow).toList());
        Increment again = store.resolveUpdate(VIDEO, ResolveOptions.defaults().samples(samples));
        assertThat(again.added()).isEmpty();
        assertThat(again.stale()).isEmpty();
        assertThat(again.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        // Filters and predicates apply to the samples and the stored rows.
        Increment filtered = store.resolveUpdate(VIDEO, ResolveOptions.defaults().samples(samples)
                .globalFilter(Filter.ge("sample_uid", 2L)).stalenessPredicate(Filter.eq("sample_uid", 5L)));
        assertThat(filtered.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 5L));
        assertThat(filtered.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 3L));
        // A target filter keeps the samples and the stored rows where it holds (a column some samples
        // lack is null there): samples 1 and 2 against stored 1, 2 and 5 (written without a path).
        Increment targeted = store.resolveUpdate(VIDEO, ResolveOptions.defaults().samples(samples).targetFilter(Filter.isNull("path")));
        assertThat(targeted.added()).isEmpty();
        assertThat(targeted.stale()).isEmpty();
        assertThat(targeted.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 5L));
        // A supplied provenance must match its by-field map; every field is needed.
        assertThatThrownBy(() -> store.resolveUpdate(VIDEO, List.of(video(1, "a", "f").toBuilder().provenance("bogus").build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("bogus");
        assertThatThrownBy(() -> store.resolveUpdate(VIDEO, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L))
                .provenanceByField(Map.of("audio", "a")).build())))
                .isInstanceOf(SchemaMismatchException.class).hasMessageContaining("frames");
        // Before the feature has a table every sample is new.
        assertThat(store.resolveUpdate(EXTRA, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L))
                .provenanceByField(Map.of("meta", "m")).build())).added()).hasSize(1);
    }

    @Test
    void samplesReplaceTheUpstreamOfANonRootFeature() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.write(CHILD, store.resolveUpdate(CHILD).added().stream().map(IncrementRow::toMetadataRow).toList());
        // Metaxy's samples for a non-root feature: only these, with the provenance the caller gives.
        Map<String, String> custom = Map.of("audio", "c1", "frames", "c1");
        Increment inc = store.resolveUpdate(CHILD, List.of(MetadataRow.builder().ids(Map.of("sample_uid", 1L))
                .provenanceByField(custom).build()));
        assertThat(inc.added()).isEmpty();
        assertThat(inc.stale()).extracting(IncrementRow::provenanceByField).containsExactly(custom);
        assertThat(inc.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
    }

    @Test
    void theHashLengthTruncatesFeatureVersionsAndSampleHashes() {
        store.close();
        SampleHasher hasher = new SampleHasher(io.metaxy.flink.versioning.HashAlgorithm.XXHASH64, 12);
        store = MetadataStores.open(url, graph, AccessMode.WRITE, hasher);
        store.write(VIDEO, List.of(video(1, "a1", "f1")));
        MetadataRow row = store.read(VIDEO).get(0);
        assertThat(row.featureVersion()).isEqualTo(DefinitionVersions.of(graph, 12).featureVersion(FeatureKey.of(VIDEO)))
                .hasSize(12);
        assertThat(row.provenance()).isEqualTo(ProvenanceCalculator.of(graph, FeatureKey.of(VIDEO), hasher)
                .provenance(Map.of("audio", "a1", "frames", "f1"))).hasSize(12);
        Increment inc = store.resolveUpdate(CHILD);
        assertThat(inc.added().get(0).provenance()).hasSize(12).isEqualTo(ProvenanceCalculator.of(graph, FeatureKey.of(CHILD), hasher)
                .provenance(ProvenanceCalculator.of(graph, FeatureKey.of(CHILD), hasher)
                        .provenanceByField(Map.of(FeatureKey.of(VIDEO), Map.of("audio", "a1", "frames", "f1")))));
        store.write(CHILD, inc.added().stream().map(IncrementRow::toMetadataRow).toList());
        assertThat(store.resolveUpdate(CHILD).isEmpty()).isTrue();
        assertThat(store.read(CHILD).get(0).featureVersion()).hasSize(12);
    }

    /** The test graph's video and a child whose dependency carries Metaxy sql_filters. */
    private FeatureGraph childFiltered(String sqlFilter) {
        return FeatureGraph.of(List.of(graph.spec(VIDEO), FeatureSpec.builder(CHILD).idColumns("sample_uid")
                .dep(FeatureDep.on(VIDEO).filters(List.of(sqlFilter)).build())
                .field(FieldSpec.of("audio", "1")).field(FieldSpec.of("frames", "1")).build()));
    }

    /**
     * Metaxy's dep filters keep only the upstream rows they match, read after the dep's rename:
     * a filtered-out sample is not expected (an existing child row for it is orphaned), and
     * comparisons follow SQL's three-valued logic (a NULL split matches neither = nor <>).
     */
    @Test
    void depFiltersSelectUpstreamRowsAfterRename() {
        store.write(VIDEO, List.of(video(1, "a1", "f1").toBuilder().column("split", "train").column("score", 0.9).build(),
                video(2, "a2", "f2").toBuilder().column("split", "test").column("score", 0.2).build(),
                video(3, "a3", "f3").toBuilder().column("split", "it's").column("score", 0.5).build(),
                video(4, "a4", "f4").toBuilder().column("score", 0.7).build()));
        store.close();
        FeatureGraph filtered = FeatureGraph.of(List.of(graph.spec(VIDEO), FeatureSpec.builder(CHILD).idColumns("sample_uid")
                .dep(FeatureDep.on(VIDEO).rename(Map.of("split", "subset"))
                        .filters(List.of("subset <> 'test' AND \"score\" >= '0.5'", "sample_uid IN (1, NULL) OR subset = 'it''s'"))
                        .build())
                .field(FieldSpec.of("audio", "1")).field(FieldSpec.of("frames", "1")).build()));
        store = MetadataStores.open(url, filtered, AccessMode.WRITE);
        Increment first = store.resolveUpdate(CHILD);
        // 2 is 'test'; 4 has a NULL subset (unknown <> 'test'); 3 is unknown IN (1, NULL) but passes by its subset.
        assertThat(first.added()).extracting(IncrementRow::ids)
                .containsExactly(Map.of("sample_uid", 1L), Map.of("sample_uid", 3L));
        assertThat(first.added()).extracting(r -> r.upstream().get("subset")).containsExactly("train", "it's");
        store.write(CHILD, first.added().stream().map(IncrementRow::toMetadataRow).toList());
        assertThat(store.resolveUpdate(CHILD).isEmpty()).isTrue();
        // Sample 1 moves to the test split: its child row no longer has a matching upstream row.
        store.write(VIDEO, List.of(video(1, "a1", "f1").toBuilder().column("split", "test").column("score", 0.9).build()));
        Increment second = store.resolveUpdate(CHILD);
        assertThat(second.added()).isEmpty();
        assertThat(second.orphaned()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L));
        store.close();
        // A filter naming the upstream's pre-rename column finds no such column.
        FeatureGraph preRename = FeatureGraph.of(List.of(graph.spec(VIDEO), FeatureSpec.builder(CHILD).idColumns("sample_uid")
                .dep(FeatureDep.on(VIDEO).rename(Map.of("split", "subset")).filters(List.of("split = 'train'")).build())
                .field(FieldSpec.of("audio", "1")).field(FieldSpec.of("frames", "1")).build()));
        store = MetadataStores.open(url, preRename, AccessMode.WRITE);
        assertThatThrownBy(() -> store.resolveUpdate(CHILD)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("'split'").hasMessageContaining(CHILD).hasMessageContaining("subset");
    }

    @Test
    void failuresAreClassifiedPrecisely() {
        store.write(VIDEO, List.of(video(1, "a1", "f1"), video(2, "a2", "f2")));
        store.close();
        store = MetadataStores.open(url, childFiltered("sample_uid >= 2"), AccessMode.WRITE);
        assertThat(store.resolveUpdate(CHILD).added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
        store.close();
        // A syntax error in a dep's filter is the graph's fault, found when the graph is built.
        assertThatThrownBy(() -> childFiltered("sample_uid >= = 2")).isInstanceOf(DefinitionException.class)
                .hasMessageContaining(VIDEO).hasMessageContaining("position 15");
        store = MetadataStores.open(url, childFiltered("no_such_column = 2"), AccessMode.WRITE);
        assertThatThrownBy(() -> store.resolveUpdate(CHILD)).isInstanceOf(SchemaMismatchException.class)
                .hasMessageContaining("no_such_column");
        // A closed store has no connection.
        store.close();
        assertThatThrownBy(() -> store.read(VIDEO)).isInstanceOf(StoreConnectionException.class).hasMessageContaining(VIDEO);
    }

    @Test
    void failedWriteLeavesNoPartialRows() {
        store.write(VIDEO, List.of(video(1, "a", "f").toBuilder().column("size", 1L).build()));
        // The second row's value cannot be stored in the BIGINT column: the database rejects it mid-batch.
        assertThatThrownBy(() -> store.write(VIDEO, List.of(video(2, "a", "f").toBuilder().column("size", 2L).build(),
                video(3, "a", "f").toBuilder().column("size", "not a number").build())))
                .isInstanceOf(MetadataStoreException.class).hasMessageContaining(VIDEO);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).extracting(r -> r.ids().get("sample_uid"))
                .containsExactly(1L);
        // The store stays usable after the rollback.
        store.write(VIDEO, List.of(video(2, "a", "f")));
        assertThat(store.read(VIDEO)).hasSize(2);
    }

    @Test
    void plainWritesKeepEveryRowSharingOneMaterializationId() {
        // In Metaxy the materialization id is a run id: many rows share it, and all of them land.
        List<MetadataRow> run = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            run.add(video(i, "a" + i, "f" + i).toBuilder().materializationId("run-42").build());
        }
        assertThat(store.write(VIDEO, run)).isEqualTo(5);
        assertThat(store.write(VIDEO, List.of(video(6, "a6", "f6").toBuilder().materializationId("run-42").build())))
                .isEqualTo(1);
        assertThat(store.read(VIDEO)).hasSize(6).extracting(MetadataRow::materializationId).containsOnly("run-42");
        // A plain replay appends again (a new row per sample; reads still show one per sample).
        assertThat(store.write(VIDEO, run)).isEqualTo(5);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).hasSize(11);
        assertThat(store.read(VIDEO)).hasSize(6);
    }

    @Test
    void idempotentWritesSkipReplaysOfKnownMaterializationIds() {
        List<MetadataRow> batch = List.of(
                video(1, "a1", "f1").toBuilder().materializationId("videos/0/100").build(),
                video(2, "a2", "f2").toBuilder().materializationId("videos/0/101").build());
        assertThat(store.write(VIDEO, batch, WriteOptions.idempotent())).isEqualTo(2);
        assertThat(store.write(VIDEO, batch, WriteOptions.idempotent())).isZero();
        List<MetadataRow> overlapping = List.of(batch.get(1),
                video(3, "a3", "f3").toBuilder().materializationId("videos/0/102").build(),
                video(3, "a3", "f3").toBuilder().materializationId("videos/0/102").build(),
                video(4, "a4", "f4"));
        assertThat(store.write(VIDEO, overlapping, WriteOptions.idempotent())).isEqualTo(2);
        assertThat(store.write(VIDEO, List.of(video(4, "a4", "f4")), WriteOptions.idempotent())).isEqualTo(1);
        assertThat(store.read(VIDEO, ReadOptions.defaults().history(true))).extracting(MetadataRow::materializationId)
                .containsExactly("videos/0/100", "videos/0/101", "videos/0/102", null, null);
    }
}
