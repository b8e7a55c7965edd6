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
 * </ul>
 */
public record WriteOptions(boolean skipKnownMaterializationIds) {
    private static final WriteOptions APPEND = new WriteOptions(false);
    private static final WriteOptions IDEMPOTENT = new WriteOptions(true);

    /** Append every row (the default). */
    public static WriteOptions append() {
        return APPEND;
    }

    /** Skip rows whose {@code metaxy_materialization_id} is already present (replay-safe appends). */
    public static WriteOptions idempotent() {
        return IDEMPOTENT;
    }
}
