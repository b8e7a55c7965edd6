package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.FeatureGraph;
import java.util.List;

/**
 * Metaxy's metadata store (design §4): one append-only table per feature, merge-on-read, and
 * {@code resolveUpdate}, which tells per sample what a feature must (re)compute.
 *
 * <pre>{@code
 * try (MetadataStore store = MetadataStores.open("duckdb:/data/metaxy.duckdb", graph, AccessMode.WRITE)) {
 *     store.write("examples/parent", List.of(MetadataRow.builder()
 *             .ids(Map.of("sample_uid", 1)).provenanceByField(Map.of("embeddings", "v1")).build()));
 *     Increment inc = store.resolveUpdate("examples/child");
 *     inc.added().forEach(row -> System.out.println(row.ids() + " " + row.provenanceByField()));
 * }
 * }</pre>
 *
 * Features can be named by key string, {@link FeatureKey} or {@link FeatureSpec}; a feature not
 * in the graph raises {@link UnknownFeatureException}. Implementations are thread-safe (calls are
 * serialised on one connection).
 */
public interface MetadataStore extends AutoCloseable {

    FeatureGraph graph();

    AccessMode mode();

    /**
     * Appends rows in one transaction: all rows land or none. For each row (as Metaxy's
     * {@code write}): the feature version is stamped with the feature's current one (a supplied
     * one is replaced; keep it with {@link WriteOptions#preserveFeatureVersion()});
     * {@code metaxy_updated_at} is always stamped by the store from {@link StoreClock} (a
     * supplied value is not trusted), which never repeats within this JVM, so a later write of
     * the same sample (e.g. a read-modify-write) wins on read; {@code metaxy_created_at} is
     * stamped unless set; {@code metaxy_data_version_by_field} defaults to the provenance by
     * field; {@code metaxy_provenance} and {@code metaxy_data_version} are computed from the
     * by-field maps (a supplied value must match, else {@link SchemaMismatchException});
     * {@code metaxy_project_version} and {@code metaxy_definition_version} are kept as supplied.
     * Every row, root or not, must carry {@code metaxy_provenance_by_field} with exactly the
     * spec's fields (non-root rows take it from the {@link Increment}), and every id column
     * non-null; else {@link SchemaMismatchException}. New user columns are added to the table
     * (type from the values: BIGINT, DOUBLE, BOOLEAN, else VARCHAR).
     *
     * <p>Every row is appended: {@code metaxy_materialization_id} is plain data here (in Metaxy
     * a run or batch id shared by many rows). For replay-safe appends see
     * {@link #write(String, List, WriteOptions)} with {@link WriteOptions#idempotent()}.
     *
     * @return the number of rows appended
     */
    default int write(String feature, List<MetadataRow> rows) {
        return write(feature, rows, WriteOptions.append());
    }

    /**
     * As {@link #write(String, List)}; with {@link WriteOptions#idempotent()} a row with a non-null
     * {@code metaxy_materialization_id} is skipped when a row with that id is already in the table
     * or earlier in the same call, so a writer replaying from a source position (the stream sink
     * uses {@code topic/partition/offset}) never adds duplicates. Rows without one are always
     * appended. The check assumes a single writer per table at a time.
     *
     * @return the number of rows appended (skipped replays not counted)
     */
    int write(String feature, List<MetadataRow> rows, WriteOptions options);

    default int write(FeatureKey feature, List<MetadataRow> rows) {
        return write(feature.toString(), rows);
    }

    default int write(FeatureSpec feature, List<MetadataRow> rows) {
        return write(feature.key().toString(), rows);
    }

    default int write(FeatureKey feature, List<MetadataRow> rows, WriteOptions options) {
        return write(feature.toString(), rows, options);
    }

    default int write(FeatureSpec feature, List<MetadataRow> rows, WriteOptions options) {
        return write(feature.key().toString(), rows, options);
    }

    /**
     * Rows of the feature, as {@link ReadOptions} says; empty when the feature (in the graph) has
     * no table yet. A feature not in the graph raises {@link UnknownFeatureException}.
     */
    List<MetadataRow> read(String feature, ReadOptions options);

    /**
     * As {@link #read(String, ReadOptions)}, one row at a time: the rows are fetched as the
     * iterator advances, so a store larger than memory can be read (the job's bootstrap does).
     * Close it to release the query; the store must stay open meanwhile, and on PostgreSQL the
     * read holds a transaction of the store's connection until it is closed or runs out, so
     * write through another store meanwhile.
     *
     * <pre>{@code
     * try (MetadataStore.Rows rows = store.readRows("example/video", ReadOptions.defaults())) {
     *     rows.forEachRemaining(row -> send(row));
     * }
     * }</pre>
     */
    default Rows readRows(String feature, ReadOptions options) {
        java.util.Iterator<MetadataRow> all = read(feature, options).iterator();
        return new Rows() {
            @Override
            public boolean hasNext() {
                return all.hasNext();
            }

            @Override
            public MetadataRow next() {
                return all.next();
            }

            @Override
            public void close() {}
        };
    }

    /** Rows of a {@link #readRows} read; {@link #close()} ends the query. */
    interface Rows extends java.util.Iterator<MetadataRow>, AutoCloseable {
        @Override
        void close();
    }

    default List<MetadataRow> read(String feature) {
        return read(feature, ReadOptions.defaults());
    }

    default List<MetadataRow> read(FeatureKey feature, ReadOptions options) {
        return read(feature.toString(), options);
    }

    default List<MetadataRow> read(FeatureSpec feature, ReadOptions options) {
        return read(feature.key().toString(), options);
    }

    /**
     * Joins the parents' current rows on the lineage keys, computes the expected provenance of
     * every sample (design §3) and compares with the feature's current rows. With
     * {@link ResolveOptions#samples} the given samples replace the upstream join (as Metaxy's
     * {@code resolve_update(feature, samples=…)}); a root feature has no upstream and needs them,
     * else {@link IllegalArgumentException}. A feature not in the graph raises
     * {@link UnknownFeatureException}.
     */
    default Increment resolveUpdate(String feature, ResolveOptions options) {
        return resolveUpdateLazy(feature, options).collect();
    }

    /**
     * A root feature's samples (or any feature's, replacing its upstream) against its current
     * rows: {@code resolveUpdate(feature, ResolveOptions.defaults().samples(samples))}.
     *
     * <pre>{@code
     * Increment inc = store.resolveUpdate("example/video", List.of(MetadataRow.builder()
     *         .ids(Map.of("sample_uid", 1)).provenanceByField(Map.of("audio", "a1", "frames", "f1")).build()));
     * store.write("example/video", inc.added().stream().map(IncrementRow::toMetadataRow).toList());
     * }</pre>
     */
    default Increment resolveUpdate(String feature, List<MetadataRow> samples) {
        return resolveUpdate(feature, ResolveOptions.defaults().samples(samples));
    }

    default Increment resolveUpdate(String feature) {
        return resolveUpdate(feature, ResolveOptions.defaults());
    }

    default Increment resolveUpdate(FeatureKey feature, ResolveOptions options) {
        return resolveUpdate(feature.toString(), options);
    }

    default Increment resolveUpdate(FeatureSpec feature, ResolveOptions options) {
        return resolveUpdate(feature.key().toString(), options);
    }

    /** The same as {@link #resolveUpdate}, but the query runs only when collected. */
    LazyIncrement resolveUpdateLazy(String feature, ResolveOptions options);

    default LazyIncrement resolveUpdateLazy(FeatureKey feature, ResolveOptions options) {
        return resolveUpdateLazy(feature.toString(), options);
    }

    default LazyIncrement resolveUpdateLazy(FeatureSpec feature, ResolveOptions options) {
        return resolveUpdateLazy(feature.key().toString(), options);
    }

    /**
     * Deletes the samples matching {@code filter} (null = all) of the feature's current feature
     * version: {@code delete(feature, filter, mode, false)}.
     */
    default int delete(String feature, Filter filter, DeleteMode mode) {
        return delete(feature, filter, mode, false);
    }

    /**
     * Deletes the samples matching {@code filter} (null = all), as Metaxy's
     * {@code delete(feature, filters, soft=, with_feature_history=)}. SOFT appends a tombstone per
     * sample (its latest row with {@code metaxy_deleted_at} set): reads then hide it, history
     * keeps it. HARD removes matching rows physically. Only rows of the feature's current feature
     * version are touched unless {@code withFeatureHistory} (then SOFT tombstones each sample's
     * latest row of every feature version, HARD removes matching rows of every version).
     *
     * @return samples tombstoned (SOFT) or rows removed (HARD)
     */
    int delete(String feature, Filter filter, DeleteMode mode, boolean withFeatureHistory);

    default int delete(FeatureKey feature, Filter filter, DeleteMode mode) {
        return delete(feature.toString(), filter, mode);
    }

    default int delete(FeatureSpec feature, Filter filter, DeleteMode mode) {
        return delete(feature.key().toString(), filter, mode);
    }

    /** Removes the feature's table and every row in it. */
    void drop(String feature);

    default void drop(FeatureKey feature) {
        drop(feature.toString());
    }

    default void drop(FeatureSpec feature) {
        drop(feature.key().toString());
    }

    /** Features of the graph that have a table in this store, sorted. */
    List<FeatureKey> features();

    @Override
    void close();
}
