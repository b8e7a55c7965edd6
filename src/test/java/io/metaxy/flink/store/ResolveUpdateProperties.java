package io.metaxy.flink.store;

import static io.metaxy.flink.store.TestGraphs.EXTRA;
import static io.metaxy.flink.store.TestGraphs.ITEM;
import static io.metaxy.flink.store.TestGraphs.SUMMARY;
import static io.metaxy.flink.store.TestGraphs.VIDEO;
import static io.metaxy.flink.store.TestGraphs.WITH_OPTIONAL;
import static org.assertj.core.api.Assertions.assertThat;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.versioning.HashAlgorithm;
import io.metaxy.flink.versioning.ProvenanceCalculator;
import io.metaxy.flink.versioning.SampleHasher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random store contents: {@code resolveUpdate} must equal an in-memory computation with
 * {@link ProvenanceCalculator} over the same samples — same sets, same hashes — for a 1:1 dep
 * with an optional parent, soft deletes, and an N:1 aggregation, on DuckDB (hashing and diff in
 * SQL, for every hash algorithm) and on PostgreSQL (SQL join, hashing in Java); and DuckDB's SQL
 * path must equal the Java fallback row for row.
 */
class ResolveUpdateProperties {
    private static final FeatureGraph GRAPH = TestGraphs.graph("1");

    /** One sample's random state; child: 0 none, 1 recorded as expected, 2 recorded with other provenance. */
    record Sample(boolean video, boolean videoDeleted, String audio, String frames, boolean extra, String meta, int child) {}

    record Item(long group, long item, String value) {}

    @Provide
    Arbitrary<List<Sample>> samples() {
        Arbitrary<String> version = Arbitraries.of("v1", "v2", "v3", "é|x", "");
        return Combinators.combine(Arbitraries.of(true, true, false), Arbitraries.of(false, false, true), version, version,
                Arbitraries.of(true, false), version, Arbitraries.integers().between(0, 2))
                .as(Sample::new).list().ofMaxSize(25);
    }

    @Provide
    Arbitrary<List<Item>> items() {
        return Combinators.combine(Arbitraries.longs().between(1, 4), Arbitraries.longs().between(-3, 30),
                Arbitraries.of("a", "b", "c")).as(Item::new).list().ofMaxSize(20).uniqueElements(i -> List.of(i.group(), i.item()));
    }

    private static String postgresUrl;

    /** DuckDB in memory: a fresh store per try. */
    private static MetadataStore duckdb() {
        return duckdb(SampleHasher.DEFAULT);
    }

    private static MetadataStore duckdb(SampleHasher hasher) {
        return MetadataStores.open("duckdb:memory:", GRAPH, AccessMode.WRITE, hasher);
    }

    /** Every algorithm, at the default length, odd lengths and lengths beyond the rendering (no truncation). */
    @Provide
    Arbitrary<SampleHasher> hashers() {
        return Combinators.combine(Arbitraries.of(HashAlgorithm.values()), Arbitraries.of(8, 9, 13, 20, 32, 64, 80))
                .as(SampleHasher::new);
    }

    /** DuckDB computes the hashes in SQL (registered xxhash function, built-in md5/sha256): same as the Java calculator. */
    @Property(tries = 40)
    void sqlHashingMatchesJavaEngineForEveryAlgorithmOnDuckDb(@ForAll("hashers") SampleHasher hasher,
            @ForAll("samples") List<Sample> samples) {
        oneToOneWithOptionalParent(duckdb(hasher), samples, hasher);
    }

    @Property(tries = 25)
    void sqlAggregationHashingMatchesJavaEngineForEveryAlgorithmOnDuckDb(@ForAll("hashers") SampleHasher hasher,
            @ForAll("items") List<Item> items) {
        aggregation(duckdb(hasher), items, hasher);
    }

    /**
     * The SQL path and the Java fallback (what PostgreSQL runs) over the same DuckDB store give
     * identical increments: every row's ids, hashes, recorded values and upstream columns.
     */
    @Property(tries = 25)
    void sqlPathEqualsJavaFallbackOnDuckDb(@ForAll("hashers") SampleHasher hasher, @ForAll("samples") List<Sample> samples,
            @ForAll("items") List<Item> items) {
        try (MetadataStore store = duckdb(hasher)) {
            oneToOneWithOptionalParent(store, samples, hasher);
            aggregation(store, items, hasher);
            for (String feature : List.of(WITH_OPTIONAL, SUMMARY)) {
                LazyIncrement sql = store.resolveUpdateLazy(feature, ResolveOptions.defaults());
                LazyIncrement java;
                System.setProperty("metaxy.store.javaHash", "true");
                try {
                    java = store.resolveUpdateLazy(feature, ResolveOptions.defaults());
                } finally {
                    System.clearProperty("metaxy.store.javaHash");
                }
                String hashCall = switch (hasher.algorithm()) {
                    case MD5 -> "md5(";
                    case SHA256 -> "sha256(";
                    default -> "metaxy_hash_" + hasher.algorithm().id() + "_" + hasher.length() + "(";
                };
                if (sql.sql().contains("exp AS")) { // upstream rows exist: expected provenance is hashed in the query
                    assertThat(sql.sql()).contains(hashCall);
                }
                assertThat(java.sql()).doesNotContain(hashCall);
                assertThat(sql.collect()).isEqualTo(java.collect());
            }
        }
    }

    /** One PostgreSQL database for all tries, emptied at the start of each (creating databases is slow). */
    private static synchronized MetadataStore postgres() {
        if (postgresUrl == null) {
            postgresUrl = PostgresServer.get().newDatabase();
        }
        MetadataStore store = MetadataStores.open(postgresUrl, GRAPH, AccessMode.WRITE);
        store.features().forEach(store::drop);
        return store;
    }

    @Property(tries = 40)
    void oneToOneWithOptionalParentMatchesJavaEngineOnDuckDb(@ForAll("samples") List<Sample> samples) {
        oneToOneWithOptionalParent(duckdb(), samples);
    }

    @Property(tries = 15)
    void oneToOneWithOptionalParentMatchesJavaEngineOnPostgres(@ForAll("samples") List<Sample> samples) {
        oneToOneWithOptionalParent(postgres(), samples);
    }

    @Property(tries = 30)
    void aggregationMatchesJavaEngineOnDuckDb(@ForAll("items") List<Item> items) {
        aggregation(duckdb(), items);
    }

    @Property(tries = 15)
    void aggregationMatchesJavaEngineOnPostgres(@ForAll("items") List<Item> items) {
        aggregation(postgres(), items);
    }

    private static void oneToOneWithOptionalParent(MetadataStore opened, List<Sample> samples) {
        try (MetadataStore store = opened) {
            oneToOneWithOptionalParent(store, samples, SampleHasher.DEFAULT);
        }
    }

    /** Fills the store (left open) and checks resolveUpdate of the 1:1 + optional feature. */
    private static void oneToOneWithOptionalParent(MetadataStore store, List<Sample> samples, SampleHasher hasher) {
        ProvenanceCalculator calc = ProvenanceCalculator.of(GRAPH, FeatureKey.of(WITH_OPTIONAL), hasher);
        Map<Long, String> expectedNew = new TreeMap<>();
        Map<Long, String> expectedStale = new TreeMap<>();
        List<Long> expectedOrphaned = new ArrayList<>();
        {
            for (int i = 0; i < samples.size(); i++) {
                Sample s = samples.get(i);
                long id = i;
                Map<FeatureKey, Map<String, String>> upstream = new HashMap<>();
                if (s.video()) {
                    store.write(VIDEO, List.of(TestGraphs.video(id, s.audio(), s.frames())));
                    if (s.videoDeleted()) {
                        store.delete(VIDEO, Filter.eq("sample_uid", id), DeleteMode.SOFT);
                    } else {
                        upstream.put(FeatureKey.of(VIDEO), Map.of("audio", s.audio(), "frames", s.frames()));
                    }
                }
                if (s.extra()) {
                    store.write(EXTRA, List.of(MetadataRow.builder().ids(Map.of("sample_uid", id))
                            .provenanceByField(Map.of("meta", s.meta())).build()));
                    upstream.put(FeatureKey.of(EXTRA), Map.of("meta", s.meta()));
                }
                boolean isExpected = upstream.containsKey(FeatureKey.of(VIDEO));
                String provenance = isExpected ? calc.provenance(calc.provenanceByField(upstream)) : null;
                if (s.child() > 0) {
                    Map<String, String> recorded = s.child() == 1 && isExpected ? calc.provenanceByField(upstream) : Map.of("out", "other");
                    store.write(WITH_OPTIONAL, List.of(MetadataRow.builder().ids(Map.of("sample_uid", id)).provenanceByField(recorded).build()));
                    if (!isExpected) {
                        expectedOrphaned.add(id);
                    } else if (s.child() == 2) {
                        expectedStale.put(id, provenance);
                    }
                } else if (isExpected) {
                    expectedNew.put(id, provenance);
                }
            }
            Increment inc = store.resolveUpdate(WITH_OPTIONAL);
            assertThat(byId(inc.added())).isEqualTo(expectedNew);
            assertThat(byId(inc.stale())).isEqualTo(expectedStale);
            assertThat(inc.orphaned()).extracting(r -> r.ids().get("sample_uid")).containsExactlyElementsOf(expectedOrphaned);
        }
    }

    private static void aggregation(MetadataStore opened, List<Item> items) {
        try (MetadataStore store = opened) {
            aggregation(store, items, SampleHasher.DEFAULT);
        }
    }

    private static void aggregation(MetadataStore store, List<Item> items, SampleHasher hasher) {
        ProvenanceCalculator calc = ProvenanceCalculator.of(GRAPH, FeatureKey.of(SUMMARY), hasher);
        Map<Long, TreeMap<Long, String>> groups = new TreeMap<>();
        items.forEach(i -> groups.computeIfAbsent(i.group(), g -> new TreeMap<>()).put(i.item(), i.value()));
        Map<Long, String> expected = new TreeMap<>();
        groups.forEach((group, members) -> expected.put(group, calc.provenance(calc.provenanceByField(Map.of(FeatureKey.of(ITEM),
                Map.of("value", ProvenanceCalculator.aggregate(hasher, members.values())))))));
        {
            store.write(ITEM, items.stream().map(i -> MetadataRow.builder().ids(Map.of("group_id", i.group(), "item_id", i.item()))
                    .provenanceByField(Map.of("value", i.value())).build()).toList());
            Map<Long, String> actual = new TreeMap<>();
            store.resolveUpdate(SUMMARY).added().forEach(r -> actual.put((Long) r.ids().get("group_id"), r.provenance()));
            assertThat(actual).isEqualTo(expected);
        }
    }

    private static Map<Long, String> byId(List<IncrementRow> rows) {
        Map<Long, String> out = new TreeMap<>();
        rows.forEach(r -> out.put((Long) r.ids().get("sample_uid"), r.provenance()));
        return out;
    }
}
