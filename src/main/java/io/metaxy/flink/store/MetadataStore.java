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
     * Appends rows in one transaction: all rows land or none. For each row: the feature version
     * is stamped unless set (a supplied one is kept as is, e.g. a row of an older feature version
     * replayed by the streaming job's sink; such a row is not current for reads and
     * {@code resolveUpdate}), {@code metaxy_created_at}/{@code metaxy_updated_at} are stamped
     * (unless set) from {@link StoreClock}, which never repeats within this JVM, so a later row of
     * the same sample wins on read (ties between supplied stamps are broken deterministically); {@code metaxy_data_version_by_field} defaults to the provenance by
     * field; {@code metaxy_provenance} and {@code metaxy_data_version} are computed from the
     * by-field maps (a supplied value must match, else {@link SchemaMismatchException}). Every row, root or not, must carry
     * {@code metaxy_provenance_by_field} with exactly the spec's fields (non-root rows take it
     * from the {@link Increment}), and every id column non-null; else
     * {@link SchemaMismatchException}. New user columns are added to the table
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

    /** Rows of the feature, as {@link ReadOptions} says; empty when the feature has no table yet. */
    List<MetadataRow> read(String feature, ReadOptions options);

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
     * every sample (design §3) and compares with the feature's current rows. A root feature has
     * nothing upstream: its increment is always empty.
     */
    default Increment resolveUpdate(String feature, ResolveOptions options) {
        return resolveUpdateLazy(feature, options).collect();
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
     * Deletes the current samples matching {@code filter} (null = all). SOFT appends a tombstone
     * per sample (its latest row with {@code metaxy_deleted_at} set): reads then hide it, history
     * keeps it. HARD removes matching rows of every feature version physically.
     *
     * @return samples tombstoned (SOFT) or rows removed (HARD)
     */
    int delete(String feature, Filter filter, DeleteMode mode);

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
