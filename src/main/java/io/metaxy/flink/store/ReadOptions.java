package io.metaxy.flink.store;

import java.util.List;

/**
 * What {@link MetadataStore#read} returns. The default: the latest row per sample under the
 * feature's current feature version, soft-deleted samples hidden, all columns.
 *
 * <pre>{@code
 * store.read("example/video", ReadOptions.defaults().filter(Filter.gt("sample_uid", 5)).columns(List.of("path")));
 * store.read("example/video", ReadOptions.defaults().history(true));   // every row ever appended
 * store.read("example/video", ReadOptions.defaults().featureHistory(true));   // latest row per sample, any feature version
 * }</pre>
 *
 * In Metaxy's terms ({@code read(feature, with_feature_history=, with_sample_history=)}): the
 * default is both false; {@link #featureHistory} is {@code with_feature_history=True};
 * {@link #history} is both true.
 *
 * @param filter applied to the latest rows (to every row with {@code history}); null = none
 * @param columns user columns to return (ids and system columns always come); null = all
 * @param history every appended row of every feature version (tombstones included), no deduplication
 * @param includeDeleted keep samples whose latest row is a soft-delete tombstone
 * @param allFeatureVersions latest row per sample and feature version, not only the current one
 * @param featureHistory Metaxy's {@code with_feature_history=True}: the latest row per sample
 *     across every feature version (whichever version wrote it last), not only the current one
 */
public record ReadOptions(Filter filter, List<String> columns, boolean history, boolean includeDeleted,
        boolean allFeatureVersions, boolean featureHistory) {

    public ReadOptions {
        columns = columns == null ? null : List.copyOf(columns);
    }

    public ReadOptions(Filter filter, List<String> columns, boolean history, boolean includeDeleted,
            boolean allFeatureVersions) {
        this(filter, columns, history, includeDeleted, allFeatureVersions, false);
    }

    public static ReadOptions defaults() {
        return new ReadOptions(null, null, false, false, false, false);
    }

    public ReadOptions featureHistory(boolean value) {
        return new ReadOptions(filter, columns, history, includeDeleted, allFeatureVersions, value);
    }

    public ReadOptions filter(Filter value) {
        return new ReadOptions(value, columns, history, includeDeleted, allFeatureVersions, featureHistory);
    }

    public ReadOptions columns(List<String> value) {
        return new ReadOptions(filter, value, history, includeDeleted, allFeatureVersions, featureHistory);
    }

    public ReadOptions history(boolean value) {
        return new ReadOptions(filter, columns, value, includeDeleted, allFeatureVersions, featureHistory);
    }

    public ReadOptions includeDeleted(boolean value) {
        return new ReadOptions(filter, columns, history, value, allFeatureVersions, featureHistory);
    }

    public ReadOptions allFeatureVersions(boolean value) {
        return new ReadOptions(filter, columns, history, includeDeleted, value, featureHistory);
    }
}
