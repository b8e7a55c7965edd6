package io.metaxy.flink.store;

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
 *     columns the increment carries (the id columns, or the 'on' columns for 1:N); null = all
 * @param stalenessPredicates predicates over the feature's current rows; a current row
 *     matching any of them is stale even when its provenance is as expected
 */
public record ResolveOptions(Filter targetFilter, List<Filter> stalenessPredicates) {
    public ResolveOptions {
        stalenessPredicates = stalenessPredicates == null ? List.of() : List.copyOf(stalenessPredicates);
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
