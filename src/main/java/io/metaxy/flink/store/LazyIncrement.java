package io.metaxy.flink.store;

import java.util.List;

/**
 * An increment not computed yet: the SQL query (with its bound parameters) that joins upstream
 * and current rows. Nothing runs until {@link #collect()}. The query is planned from the store as
 * it is when it is shown or collected, not when the lazy increment was made: tables, columns and
 * rows written in between (a parent or child table created later, a new upstream user column)
 * are all seen, and collecting again re-plans and re-runs it.
 *
 * <pre>{@code
 * LazyIncrement lazy = store.resolveUpdateLazy("examples/child", ResolveOptions.defaults());
 * System.out.println(lazy.sql());
 * Increment inc = lazy.collect();
 * }</pre>
 */
public interface LazyIncrement {
    /** The query {@link #collect()} would run now, with {@code ?} placeholders. */
    String sql();

    /** The values bound to the placeholders of {@link #sql()}, in order. */
    List<Object> parameters();

    /** Plans the query for the store as it is now, runs it, hashes and classifies the joined rows. */
    Increment collect();
}
