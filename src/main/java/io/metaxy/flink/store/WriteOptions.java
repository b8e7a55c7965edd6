package io.metaxy.flink.store;

/**
 * How {@link MetadataStore#write(String, java.util.List, WriteOptions)} appends.
 *
 * <ul>
 *   <li>{@link #append()} (the default of {@code write(feature, rows)}): every row is appended.
 *       {@code metaxy_materialization_id} is plain data, as in Metaxy: a run or batch id that
 *       many rows share.</li>
 *   <li>{@link #idempotent()}: {@code metaxy_materialization_id} is treated as a unique key of
 *       the row. A row whose id is already in the table, or earlier in the same call, is skipped;
 *       rows without one are always appended. For writers that replay from a source position
 *       (the stream's store sink); the caller must make the id unique per source record.</li>
 *   <li>{@link #preserveFeatureVersion()} (Metaxy's {@code write(…, preserve_feature_version=True)}):
 *       a row's supplied {@code metaxy_feature_version} is kept (rows without one still get the
 *       current version). Without it every row is stamped with the feature's current version,
 *       whatever it carries. For rebases, copies between stores and the stream's sink, whose
 *       workers may write under another feature version than this store's graph.</li>
 * </ul>
 *
 * <pre>{@code
 * store.write("example/video", rows, WriteOptions.idempotent().preserveFeatureVersion());
 * }</pre>
 */
public record WriteOptions(boolean skipKnownMaterializationIds, boolean keepFeatureVersion) {
    private static final WriteOptions APPEND = new WriteOptions(false, false);
    private static final WriteOptions IDEMPOTENT = new WriteOptions(true, false);

    /** Append every row (the default). */
    public static WriteOptions append() {
        return APPEND;
    }

    /** Skip rows whose {@code metaxy_materialization_id} is already present (replay-safe appends). */
    public static WriteOptions idempotent() {
        return IDEMPOTENT;
    }

    /** These options, keeping each row's supplied feature version instead of stamping the current one. */
    public WriteOptions preserveFeatureVersion() {
        return new WriteOptions(skipKnownMaterializationIds, true);
    }
}
