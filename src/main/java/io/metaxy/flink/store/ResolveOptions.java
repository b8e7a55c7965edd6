package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.Lineage;
import java.util.List;

/**
 * Options of {@link MetadataStore#resolveUpdate}, after Metaxy's
 * {@code resolve_update(feature, samples=, target_filters=, global_filters=, staleness_predicates=)}.
 *
 * <pre>{@code
 * ResolveOptions.defaults()
 *         .globalFilter(Filter.lt("sample_uid", 100))        // only these samples
 *         .targetFilter(Filter.isNull("height"))            // compare only with stored rows where this holds
 *         .stalenessPredicate(Filter.eq("quality", "bad"));   // also stale when this holds
 *
 * // A root feature: the samples come from outside the graph.
 * store.resolveUpdate("example/video", ResolveOptions.defaults().samples(List.of(
 *         MetadataRow.builder().ids(Map.of("sample_uid", 1)).provenanceByField(Map.of("audio", "a1", "frames", "f1")).build())));
 * }</pre>
 *
 * @param targetFilter Metaxy's {@code target_filters}: filters the feature's own current rows
 *     (any column of its table, user or system) before they are compared, and the given
 *     {@link #samples} (when set); never the upstream. As in Metaxy, a sample whose stored row
 *     the filter drops is then compared with nothing: it is reported {@code new} if expected.
 *     Null = none. To restrict the result to some samples use {@link #globalFilter}.
 * @param stalenessPredicates predicates over the feature's current rows; a current row
 *     matching any of them is stale even when its provenance is as expected
 * @param globalFilter restricts the result to samples matching it, i.e. Metaxy's
 *     {@code global_filters} on the columns every side shares: it may only name the columns the
 *     increment is keyed by ({@link #targetColumns}: the id columns, or the 'on' columns for
 *     1:N), else {@link SchemaMismatchException}; null = all
 * @param samples Metaxy's {@code samples}: rows with the feature's id columns and
 *     {@code metaxy_provenance_by_field} (its {@code metaxy_provenance}, when given, must match),
 *     plus optional user columns. They replace the upstream join (required for a root feature,
 *     which has no upstream; optional for any other, as in Metaxy) and are compared with the
 *     current rows by the feature's id columns: {@code new} (no current row), {@code stale}
 *     (provenance differs or a staleness predicate holds), {@code orphaned} (current row not
 *     among the samples). Their user columns come back as {@link IncrementRow#upstream()}.
 *     Null = join the upstream.
 * @param progress counts the rows read while the resolve runs (progress output); null = none
 */
public record ResolveOptions(Filter targetFilter, List<Filter> stalenessPredicates, Filter globalFilter,
        List<MetadataRow> samples, ResolveProgress progress) {
    public ResolveOptions {
        stalenessPredicates = stalenessPredicates == null ? List.of() : List.copyOf(stalenessPredicates);
        samples = samples == null ? null : List.copyOf(samples);
    }

    public ResolveOptions(Filter targetFilter, List<Filter> stalenessPredicates) {
        this(targetFilter, stalenessPredicates, null, null, null);
    }

    /**
     * The columns an increment of {@code feature} is keyed by, hence the only ones a global
     * filter may name: the feature's id columns, or the 'on' columns of its 1:N dependency
     * (increments of an expansion are per parent).
     */
    public static List<String> targetColumns(FeatureSpec feature) {
        for (FeatureDep dep : feature.deps()) {
            if (dep.lineage() instanceof Lineage.Expansion expansion) {
                return expansion.on();
            }
        }
        return feature.idColumns();
    }

    public static ResolveOptions defaults() {
        return new ResolveOptions(null, List.of(), null, null, null);
    }

    public ResolveOptions targetFilter(Filter value) {
        return new ResolveOptions(value, stalenessPredicates, globalFilter, samples, progress);
    }

    public ResolveOptions globalFilter(Filter value) {
        return new ResolveOptions(targetFilter, stalenessPredicates, value, samples, progress);
    }

    public ResolveOptions samples(List<MetadataRow> value) {
        return new ResolveOptions(targetFilter, stalenessPredicates, globalFilter, value, progress);
    }

    public ResolveOptions progress(ResolveProgress value) {
        return new ResolveOptions(targetFilter, stalenessPredicates, globalFilter, samples, value);
    }

    public ResolveOptions stalenessPredicate(Filter value) {
        List<Filter> all = new java.util.ArrayList<>(stalenessPredicates);
        all.add(value);
        return new ResolveOptions(targetFilter, all, globalFilter, samples, progress);
    }
}
