package io.metaxy.flink.store;

import java.util.concurrent.atomic.AtomicLong;

/**
 * How far a running {@link MetadataStore#resolveUpdate} is, readable from another thread while it
 * runs: the rows of the resolve query read so far (on PostgreSQL the joined upstream rows, hashed
 * in Java; on DuckDB, which hashes and compares in SQL, the rows that are increments) and the
 * increments found among them. For progress output; the result is the same with or without it.
 *
 * <pre>{@code
 * ResolveProgress progress = new ResolveProgress();
 * // on another thread: progress.rowsRead(), progress.found()
 * store.resolveUpdate("example/crop", ResolveOptions.defaults().progress(progress));
 * }</pre>
 */
public final class ResolveProgress {
    private final AtomicLong rowsRead = new AtomicLong();
    private final AtomicLong found = new AtomicLong();

    /** One row of the query read; {@code increment}: it is new, stale or orphaned. */
    public void row(boolean increment) {
        rowsRead.incrementAndGet();
        if (increment) {
            found.incrementAndGet();
        }
    }

    public long rowsRead() {
        return rowsRead.get();
    }

    public long found() {
        return found.get();
    }
}
