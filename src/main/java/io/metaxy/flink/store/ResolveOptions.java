package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureDep;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.Lineage;
import java.util.List;

/**
 * Options of {@link MetadataStore#resolveUpdate}.
 *
 * <pre>{@code
 * ResolveOptions.defaults()
 *         .targetFilter(Filter.lt("sample_uid", 100))          // only these samples
 *         .stalenessPredicate(Filter.eq("quality", "bad"));   // also stale when this holds
 * }</pre>
 *
 * @param targetFilter restricts the result to samples matching it; it may only name the
 *     columns the increment is keyed by ({@link #targetColumns}: the id columns, or the 'on'
 *     columns for 1:N), else {@link SchemaMismatchException}; null = all
 * @param stalenessPredicates predicates over the feature's current rows; a current row
 *     matching any of them is stale even when its provenance is as expected
 */
public record ResolveOptions(Filter targetFilter, List<Filter> stalenessPredicates) {
    public ResolveOptions {
        stalenessPredicates = stalenessPredicates == null ? List.of() : List.copyOf(stalenessPredicates);
    }

    /**
     * The columns an increment of {@code feature} is keyed by, hence the only ones a target
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
        return new ResolveOptions(null, List.of());
    }

    public ResolveOptions targetFilter(Filter value) {
        return new ResolveOptions(value, stalenessPredicates);
    }

    public ResolveOptions stalenessPredicate(Filter value) {
        List<Filter> all = new java.util.ArrayList<>(stalenessPredicates);
        all.add(value);
        return new ResolveOptions(targetFilter, all);
    }
}
