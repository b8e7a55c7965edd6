package io.metaxy.flink.stream;

import io.metaxy.flink.store.DeleteMode;
import io.metaxy.flink.store.Filter;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.store.SchemaMismatchException;
import io.metaxy.flink.store.StoreClock;
import io.metaxy.flink.store.SystemColumns;
import io.metaxy.flink.store.WriteOptions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of {@link StoreSink}. Rows are buffered and applied strictly in arrival order on
 * {@link #flush} (before each checkpoint, at end of input) and when {@code batchSize} rows wait:
 *
 * <ul>
 *   <li>consecutive writes (and soft deletes carrying their provenance) of one feature become one
 *       {@code write(feature, rows, WriteOptions.idempotent().preserveFeatureVersion())}: the
 *       feature version a worker wrote is kept (a worker on new code writes the next one);</li>
 *   <li>a soft delete without provenance (the usual {@code {"metaxy_deleted_at": …}}) appends a
 *       tombstone copy of the sample's latest row of the record's feature version (the current
 *       one unless the record names another, as the stream counts it), as {@code delete(…, SOFT)}
 *       would, but with this record's key so that it too is replay-safe;</li>
 *   <li>a hard delete (tombstone record) becomes {@code delete(feature, ids, HARD, true)}: the
 *       sample's rows of every feature version.</li>
 * </ul>
 *
 * <p><b>Idempotency.</b> Every row's {@code metaxy_materialization_id} is
 * {@link StampedRow#storeMaterializationId()} ({@code [writer id@]topic/partition/offset}), unique
 * per source record, and rows are written with {@link WriteOptions#idempotent()}: a replay after
 * recovery re-appends nothing already stored. A replayed hard delete spares the sample's rows
 * that came later from the same topic partition (their source offset is larger), so a replay of
 * "write, hard delete, write" still ends with the last write. This relies on all records of one
 * sample arriving on one partition of its topic (Kafka's key partitioning).
 *
 * <p><b>Timestamps.</b> The store merges on read by {@code coalesce(metaxy_deleted_at,
 * metaxy_updated_at)}, the stream by arrival order. So that both agree, {@code metaxy_updated_at}
 * comes from the JVM's {@link StoreClock}, which is strictly increasing (microseconds, at least
 * the wall clock): the store stamps it on every write (a supplied value is not kept), and rows
 * are written in arrival order, so rows applied later always sort later, even within one
 * millisecond and beside other stores of the JVM. The writer stamps soft deletes'
 * {@code metaxy_deleted_at} from the same clock.
 * A soft delete keeps the writer's {@code metaxy_deleted_at} unless it would sort the tombstone
 * before an earlier row of the sample; then it gets the stamp too. {@code metaxy_created_at} is
 * the record's. After a restart the clock starts again from the wall clock.
 *
 * <p><b>Errors.</b> A row the store refuses ({@link SchemaMismatchException}: e.g. a user column
 * whose type differs from the table's) is logged with feature, ids, source position and the
 * store's reason (which names the column), counted in {@code metaxyStoreRowsRejected}, and
 * skipped: the job goes on. Other store failures (connection lost) fail the job, which restarts
 * from its checkpoint and replays idempotently. Refused rows are not sent to the dead-letter topic
 * (a Sink2 writer has no side output); the increments still reflect them.
 */
public final class StoreSinkWriter implements SinkWriter<StampedRow> {
    private static final Logger LOG = LoggerFactory.getLogger(StoreSinkWriter.class);
    private static final WriteOptions WRITE = WriteOptions.idempotent().preserveFeatureVersion();

    private final MetadataStore store;
    private final StreamPlan plan;
    private final int batchSize;
    private final List<StampedRow> buffer = new ArrayList<>();
    private final Counter written;
    private final Counter rejected;

    public StoreSinkWriter(MetadataStore store, StreamPlan plan, int batchSize, MetricGroup metrics) {
        this.store = store;
        this.plan = plan;
        this.batchSize = batchSize;
        this.written = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreRowsWritten");
        this.rejected = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreRowsRejected");
    }

    public long rowsWritten() {
        return written.getCount();
    }

    public long rowsRejected() {
        return rejected.getCount();
    }

    @Override
    public void write(StampedRow row, Context context) {
        buffer.add(row);
        if (buffer.size() >= batchSize) {
            apply();
        }
    }

    @Override
    public void flush(boolean endOfInput) {
        apply();
    }

    @Override
    public void close() {
        store.close();
    }

    /** Applies the buffer in order. */
    void apply() {
        List<MetadataRow> group = new ArrayList<>();
        List<StampedRow> groupSources = new ArrayList<>();
        String groupFeature = null;
        for (StampedRow row : buffer) {
            boolean plain = row.op == RowOp.UPSERT || row.op == RowOp.SOFT_DELETE && row.provenanceByField != null;
            if (!plain || !row.feature.equals(groupFeature)) {
                writeGroup(groupFeature, group, groupSources);
                groupFeature = row.feature;
            }
            if (plain) {
                group.add(stamped(row, row.toMetadataRow(plan)));
                groupSources.add(row);
            } else if (row.op == RowOp.SOFT_DELETE) {
                softDelete(row);
            } else {
                hardDelete(row);
            }
        }
        writeGroup(groupFeature, group, groupSources);
        buffer.clear();
    }

    private MetadataRow stamped(StampedRow source, MetadataRow row) {
        Instant stamp = StoreClock.next();
        MetadataRow.Builder b = row.toBuilder().updatedAt(stamp);
        if (source.deletedAt != null) {
            Instant given = Instant.ofEpochMilli(source.deletedAt);
            if (given.isAfter(stamp)) {
                StoreClock.notBefore(given);
                b.deletedAt(given);
            } else {
                b.deletedAt(stamp);
            }
        }
        return b.build();
    }

    private void writeGroup(String feature, List<MetadataRow> rows, List<StampedRow> sources) {
        if (rows.isEmpty()) {
            return;
        }
        try {
            written.inc(store.write(feature, rows, WRITE));
        } catch (SchemaMismatchException e) {
            // One bad row fails the whole (atomic) write: apply one by one, skipping the refused ones.
            for (int i = 0; i < rows.size(); i++) {
                try {
                    written.inc(store.write(feature, List.of(rows.get(i)), WRITE));
                } catch (SchemaMismatchException rowError) {
                    reject(sources.get(i), rowError);
                }
            }
        }
        rows.clear();
        sources.clear();
    }

    private void softDelete(StampedRow row) {
        // The stream hides the row of the delete's own feature version (the current one unless
        // the record names another): so does the store.
        Filter ofVersion = Filter.and(idsFilter(row), Filter.eq(SystemColumns.FEATURE_VERSION, row.featureVersion));
        try {
            List<MetadataRow> latest = store.read(row.feature, ReadOptions.defaults().filter(ofVersion).allFeatureVersions(true));
            if (latest.isEmpty()) {
                return; // nothing visible to hide (unknown or already deleted sample)
            }
            MetadataRow tombstone = stamped(row, latest.get(0).toBuilder()
                    .materializationId(row.storeMaterializationId()).build());
            written.inc(store.write(row.feature, List.of(tombstone), WRITE));
        } catch (SchemaMismatchException e) {
            reject(row, e);
        }
    }

    private void hardDelete(StampedRow row) {
        Filter ids = idsFilter(row);
        try {
            // Rows of this sample that came later from the same partition exist only when this is
            // a replay after recovery: they were written after this delete, so it must spare them.
            List<String> later = new ArrayList<>();
            for (MetadataRow stored : store.read(row.feature, ReadOptions.defaults().filter(ids).history(true)
                    .includeDeleted(true).allFeatureVersions(true))) {
                Object[] position = StampedRow.parsePosition(stored.materializationId());
                if (position != null && position[0].equals(row.topic) && (int) position[1] == row.partition
                        && (long) position[2] > row.offset) {
                    later.add(stored.materializationId());
                }
            }
            Filter filter = later.isEmpty() ? ids : Filter.and(ids, Filter.or(
                    Filter.isNull(SystemColumns.MATERIALIZATION_ID), Filter.not(Filter.in(SystemColumns.MATERIALIZATION_ID, later))));
            store.delete(row.feature, filter, DeleteMode.HARD, true);
        } catch (SchemaMismatchException e) {
            reject(row, e);
        }
    }

    private static Filter idsFilter(StampedRow row) {
        List<Filter> parts = new ArrayList<>();
        for (Map.Entry<String, Object> id : row.idsMap().entrySet()) {
            parts.add(Filter.eq(id.getKey(), id.getValue()));
        }
        return Filter.and(parts);
    }

    private void reject(StampedRow row, RuntimeException e) {
        rejected.inc();
        LOG.warn("store sink: feature '{}' sample {} from {} ({}) was not stored: {}", row.feature, row.idsJson,
                row.sourcePosition(), row.op, e.getMessage());
    }
}
