package io.metaxy.flink.stream.bootstrap;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;

/** Hands out one feature per split request; once none is left, tells the asking reader so. */
final class SeedEnumerator implements SplitEnumerator<FeatureSplit, List<FeatureSplit>> {
    private final SplitEnumeratorContext<FeatureSplit> context;
    private final Deque<FeatureSplit> remaining;

    SeedEnumerator(SplitEnumeratorContext<FeatureSplit> context, Collection<FeatureSplit> remaining) {
        this.context = context;
        this.remaining = new ArrayDeque<>(remaining);
    }

    @Override
    public void start() {}

    @Override
    public void handleSplitRequest(int subtask, String hostname) {
        FeatureSplit next = remaining.poll();
        if (next == null) {
            context.signalNoMoreSplits(subtask);
        } else {
            context.assignSplit(next, subtask);
        }
    }

    @Override
    public void addSplitsBack(List<FeatureSplit> splits, int subtask) {
        // A reader failed before its checkpoint covered these: read them again.
        splits.forEach(remaining::addFirst);
    }

    @Override
    public void addReader(int subtask) {}

    @Override
    public List<FeatureSplit> snapshotState(long checkpointId) {
        return new ArrayList<>(remaining);
    }

    @Override
    public void close() {}
}
