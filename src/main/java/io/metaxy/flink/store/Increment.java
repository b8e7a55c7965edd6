package io.metaxy.flink.store;

import java.util.List;

/**
 * What a feature needs now (design §1): samples to compute for the first time, samples whose
 * recorded provenance differs from the expected one, and recorded samples with no upstream.
 * Rows are sorted by id columns.
 *
 * <pre>{@code
 * Increment inc = store.resolveUpdate("examples/child");
 * for (IncrementRow row : inc.added()) { compute(row.ids()); store.write("examples/child", List.of(row.toMetadataRow())); }
 * }</pre>
 */
public record Increment(List<IncrementRow> added, List<IncrementRow> stale, List<IncrementRow> orphaned) {
    public Increment {
        added = List.copyOf(added);
        stale = List.copyOf(stale);
        orphaned = List.copyOf(orphaned);
    }

    public boolean isEmpty() {
        return added.isEmpty() && stale.isEmpty() && orphaned.isEmpty();
    }
}
