package io.metaxy.flink.store;

import java.util.List;

/**
 * An increment not computed yet: the SQL query (with its bound parameters) that joins upstream
 * and current rows. Nothing runs until {@link #collect()}; collecting again re-runs the query and
 * sees the store as it is then.
 *
 * <pre>{@code
 * LazyIncrement lazy = store.resolveUpdateLazy("examples/child", ResolveOptions.defaults());
 * System.out.println(lazy.sql());
 * Increment inc = lazy.collect();
 * }</pre>
 */
public interface LazyIncrement {
    /** The query text, with {@code ?} placeholders. */
    String sql();

    /** The values bound to the placeholders, in order. */
    List<Object> parameters();

    /** Runs the query, hashes and classifies the joined rows. */
    Increment collect();
}
