package io.metaxy.flink.stream.bootstrap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.stream.RawRecord;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StreamPlan;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one feature at a time ({@code MetadataStore.read}: the latest row per sample of the
 * current feature version, soft-deleted samples hidden, exactly the rows batch
 * {@code resolveUpdate} counts) and emits each row as the record a worker would have written to
 * the feature's topic, flagged {@link RawRecord#seed}. Progress goes to stderr about once a second.
 */
final class SeedReader implements SourceReader<RawRecord, FeatureSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(SeedReader.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REPORT_EVERY_MS = 1_000;

    private final SourceReaderContext context;
    private final StoreSeedSource source;
    private final PrintStream progress;
    private final Deque<FeatureSplit> assigned = new ArrayDeque<>();
    private final Map<String, Long> read = new LinkedHashMap<>();
    private final List<String> done = new ArrayList<>();
    private MetadataStore store;
    private FeatureSplit current;
    /** The feature being read, fetched as it is sent: a store larger than memory can seed the job. */
    private io.metaxy.flink.store.MetadataStore.Rows rows;
    private long index;
    private boolean noMoreSplits;
    private boolean requested;
    private long lastReport;
    private CompletableFuture<Void> available = new CompletableFuture<>();

    SeedReader(SourceReaderContext context, StoreSeedSource source, PrintStream progress) {
        this.context = context;
        this.source = source;
        this.progress = progress;
    }

    @Override
    public void start() {
        lastReport = System.currentTimeMillis();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<RawRecord> output) {
        if (rows == null) {
            current = assigned.poll();
            if (current == null) {
                if (noMoreSplits) {
                    report(true);
                    return InputStatus.END_OF_INPUT;
                }
                if (!requested) {
                    requested = true;
                    context.sendSplitRequest();
                }
                if (available.isDone()) {
                    available = new CompletableFuture<>();
                }
                return InputStatus.NOTHING_AVAILABLE;
            }
            if (store == null) {
                store = MetadataStores.open(source.url(), source.graph(), AccessMode.READ, source.plan().hasher());
            }
            rows = store.readRows(current.feature(), io.metaxy.flink.store.ReadOptions.defaults());
            index = 0;
            read.put(current.feature(), 0L);
        }
        if (rows.hasNext()) {
            output.collect(record(source.plan().feature(current.feature()), rows.next(), index++));
            read.merge(current.feature(), 1L, Long::sum);
            if (System.currentTimeMillis() - lastReport >= REPORT_EVERY_MS) {
                report(false);
            }
        } else {
            done.add(current.feature());
            rows.close();
            rows = null;
            current = null;
        }
        return InputStatus.MORE_AVAILABLE;
    }

    /** The row as the feature topic's record: ids as the key, user and system columns as the value. */
    static RawRecord record(StreamPlan.Feature f, MetadataRow row, long index) {
        ObjectNode value = JSON.createObjectNode();
        row.columns().forEach((name, v) -> value.set(name, JSON.valueToTree(v)));
        value.set(SystemColumns.PROVENANCE_BY_FIELD, JSON.valueToTree(row.provenanceByField()));
        value.put(SystemColumns.PROVENANCE, row.provenance());
        if (row.dataVersionByField() != null) {
            value.set(SystemColumns.DATA_VERSION_BY_FIELD, JSON.valueToTree(row.dataVersionByField()));
            value.put(SystemColumns.DATA_VERSION, row.dataVersion());
        }
        value.put(SystemColumns.FEATURE_VERSION, row.featureVersion());
        if (row.createdAt() != null) {
            value.put(SystemColumns.CREATED_AT, row.createdAt().toString());
        }
        if (row.updatedAt() != null) {
            value.put(SystemColumns.UPDATED_AT, row.updatedAt().toString());
        }
        if (row.projectVersion() != null) {
            value.put(SystemColumns.PROJECT_VERSION, row.projectVersion());
        }
        if (row.definitionVersion() != null) {
            value.put(SystemColumns.DEFINITION_VERSION, row.definitionVersion());
        }
        RawRecord r = RawRecord.of(f.topic, -1, index, RowParser.canonical(JSON.valueToTree(row.ids())), value.toString());
        r.timestamp = row.updatedAt() == null ? 0L : row.updatedAt().toEpochMilli();
        r.seed = true;
        return r;
    }

    private void report(boolean end) {
        lastReport = System.currentTimeMillis();
        StringBuilder line = new StringBuilder(end ? "bootstrap: read from the store:" : "bootstrap: reading the store:");
        read.forEach((feature, n) -> line.append(' ').append(feature).append(' ').append(String.format("%,d", n))
                .append(done.contains(feature) ? " rows (done);" : " rows…;"));
        if (read.isEmpty()) {
            line.append(" nothing yet");
        }
        progress.println(line);
        progress.flush();
        LOG.info("{}", line);
    }

    @Override
    public List<FeatureSplit> snapshotState(long checkpointId) {
        // A feature being read goes back whole: re-reading it is harmless (seeds fill empty slots only).
        List<FeatureSplit> state = new ArrayList<>();
        if (current != null) {
            state.add(current);
        }
        state.addAll(assigned);
        return state;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
        return available;
    }

    @Override
    public void addSplits(List<FeatureSplit> splits) {
        assigned.addAll(splits);
        requested = false;
        available.complete(null);
    }

    @Override
    public void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public void close() throws Exception {
        if (rows != null) {
            rows.close();
        }
        if (store != null) {
            store.close();
        }
    }
}
