package io.metaxy.flink.store;

import static io.metaxy.flink.store.ResolveUpdateProperties.GRAPH;

import io.metaxy.flink.store.ResolveUpdateProperties.Groups;
import io.metaxy.flink.store.ResolveUpdateProperties.Parent;
import io.metaxy.flink.store.ResolveUpdateProperties.Sample;
import io.metaxy.flink.versioning.SampleHasher;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link ResolveUpdateProperties} on a real PostgreSQL server (see {@link PostgresServer}): the
 * SQL join with hashing in Java must equal the in-memory computation with the same random store
 * contents (1:1 with an optional parent, 1:N expansion, N:1 aggregation).
 */
class ResolveUpdatePostgresITCase {
    private static final ResolveUpdateProperties ARBITRARIES = new ResolveUpdateProperties();
    private static String postgresUrl;

    @Provide
    Arbitrary<List<Sample>> samples() {
        return ARBITRARIES.samples();
    }

    @Provide
    Arbitrary<List<Parent>> parents() {
        return ARBITRARIES.parents();
    }

    @Provide
    Arbitrary<Groups> groups() {
        return ARBITRARIES.groups();
    }

    @Provide
    Arbitrary<ResolveUpdateProperties.Recordings> recordings() {
        return ARBITRARIES.recordings();
    }

    @Provide
    Arbitrary<ResolveUpdateProperties.Chunks> chunks() {
        return ARBITRARIES.chunks();
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

    @Property(tries = 15)
    void oneToOneWithOptionalParentMatchesJavaEngineOnPostgres(@ForAll("samples") List<Sample> samples) {
        try (MetadataStore store = postgres()) {
            ResolveUpdateProperties.oneToOneWithOptionalParent(store, samples, SampleHasher.DEFAULT);
        }
    }

    @Property(tries = 12)
    void aggregationAndExpansionMatchJavaEngineOnPostgres(@ForAll("groups") Groups groups, @ForAll("parents") List<Parent> parents) {
        try (MetadataStore store = postgres()) {
            ResolveUpdateProperties.aggregation(store, groups, SampleHasher.DEFAULT);
            ResolveUpdateProperties.expansion(store, parents, SampleHasher.DEFAULT);
        }
    }

    @Property(tries = 10)
    void metaxyShapedLineageWithMovesAndDeletesMatchesJavaEngineOnPostgres(
            @ForAll("recordings") ResolveUpdateProperties.Recordings recordings,
            @ForAll("chunks") ResolveUpdateProperties.Chunks chunks) {
        try (MetadataStore store = postgres()) {
            ResolveUpdateProperties.metaxyAggregation(store, recordings, SampleHasher.DEFAULT);
            ResolveUpdateProperties.metaxyExpansion(store, chunks, SampleHasher.DEFAULT);
        }
    }
}
