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
import io.metaxy.flink.store.sql.SinkTransaction;
import io.metaxy.flink.store.sql.SqlMetadataStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.SimpleCounter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer of {@link StoreSink}. On a SQL store (DuckDB, PostgreSQL) every row is appended as
 * it arrives, in arrival order, inside one database transaction per checkpoint that
 * {@link #flush} commits (Flink calls it before each checkpoint barrier and at end of input):
 *
 * <ul>
 *   <li>writes (and soft deletes carrying their provenance) go through the store's bulk path,
 *       {@link SinkTransaction}: DuckDB's appender, PostgreSQL's {@code COPY}, with the
 *       provenance, data versions, feature version and created-at the stream computed;</li>
 *   <li>a soft delete without provenance (the usual {@code {"metaxy_deleted_at": …}}) appends a
 *       tombstone copy of the sample's latest row of the record's feature version (the current
 *       one unless the record names another, as the stream counts it), read in the same
 *       transaction;</li>
 *   <li>a hard delete (tombstone record) becomes {@code delete(feature, ids, HARD, true)} (the sample's
 *       rows of every feature version) in the same transaction.</li>
 * </ul>
 *
 * <p><b>Exactly once.</b> The commit writes, in the same transaction, the last offset per source
 * topic partition of the rows it covers to the ledger table ({@link SinkTransaction#LEDGER},
 * keyed by sink id, topic and partition). A writer (re)started after a failure reads the ledger
 * and skips every record at or below it: what the failed attempt committed is not applied twice,
 * what it did not commit was rolled back with its transaction and is applied now. No lookup per
 * row, and a replayed hard delete never runs after the rows that followed it. This relies on all
 * records of one topic partition reaching the same writer in order (one writer, or the input
 * partitioned by source partition). Every row's {@code metaxy_materialization_id} is still
 * {@link StampedRow#storeMaterializationId()} ({@code [writer id@]topic/partition/offset}).
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
 * the record's; the feature version is the one the worker wrote (or the current one). After a
 * restart the clock starts again from the wall clock.
 *
 * <p><b>Errors.</b> A row the store refuses ({@link SchemaMismatchException}: e.g. a user column
 * whose type differs from the table's, checked in Java before the row is appended) is logged with
 * feature, ids, source position and the reason (which names the column), counted in
 * {@code metaxyStoreRowsRejected}, and skipped: the job goes on. Other store failures (connection
 * lost) fail the job, which restarts from its checkpoint; the uncommitted transaction is rolled
 * back and the ledger makes the replay exact. Refused rows are not sent to the dead-letter topic
 * (a Sink2 writer has no side output); the increments still reflect them.
 *
 * <p><b>Around DuckDB's own checkpoint.</b> While DuckDB folds its WAL into the database file
 * ({@code store.sql.DuckDbCheckpointer}, 1–3 s under load), an append to the table waits for it
 * to end (measured: the first appender flush took the checkpoint's whole 1.1 s). That wait held
 * the writer's task thread, back-pressured the parse that also feeds the increment operator, and
 * stalled every increment: at 1M samples the latency of new samples rose from ~1.3 to 3.5 s
 * during each one. So while {@link SinkTransaction#appendsWait()} the writer only keeps the rows
 * (in arrival order, up to {@value #MAX_DEFERRED}) and appends them once DuckDB is done. A
 * checkpoint barrier that comes meanwhile cannot commit either; then the checkpoint carries every
 * row since the last commit as the writer's state ({@link #snapshotState}), so a failure before
 * the next commit loses none: the restored writer writes them first (past the ledger, like a
 * replay), then the source replays what followed. Otherwise the state is empty.
 *
 * <p>The previous path — buffered rows written with {@code store.write(…, idempotent())}, replays
 * dropped by materialization id — is kept for stores other than {@link SqlMetadataStore} and,
 * with {@code legacy = true}, for benchmarks comparing both.
 */
public final class StoreSinkWriter implements StatefulSinkWriter<StampedRow, StoreSinkState> {
    private static final Logger LOG = LoggerFactory.getLogger(StoreSinkWriter.class);
    private static final WriteOptions WRITE = WriteOptions.idempotent().preserveFeatureVersion();

    private final MetadataStore store;
    private final StreamPlan plan;
    private final int batchSize;
    private final List<StampedRow> buffer = new ArrayList<>();
    private final Counter written;
    private final Counter rejected;
    private final Counter skipped;
    /** The bulk path; null on the legacy path. */
    private final SinkTransaction tx;
    /** Committed positions not yet passed by the replay ({@code topic/partition → offset}); emptied as records pass them. */
    private final Map<String, Long> ledger;
    /** Last offset per partition since the last commit. */
    private final Map<String, Long> positions = new HashMap<>();
    /** Rows held while DuckDB's checkpoint blocks appends, in arrival order; appended once it ends. */
    private final List<StampedRow> deferred = new ArrayList<>();
    /** Every row since the last commit, appended or held: the writer's state if a barrier cannot commit. */
    private final List<StampedRow> uncommitted = new ArrayList<>();
    /**
     * {@link #uncommitted} serialized, in chunks, as far as {@link #serialized}: each barrier that
     * cannot commit adds a chunk of the rows since the previous one, so a row is serialized once
     * however many checkpoints carry it (a fold at 10M samples spans several).
     */
    private final List<StoreSinkState> chunks = new ArrayList<>();
    private int serialized;
    private final Counter commitsDeferred;
    private BooleanSupplier appendsWait;
    private long sinceFlush;
    private String lastTopic;
    private int lastPartition;
    private String lastPartitionKey;

    public StoreSinkWriter(MetadataStore store, StreamPlan plan, int batchSize, MetricGroup metrics) {
        this(store, plan, batchSize, metrics, StoreSink.DEFAULT_SINK_ID, 0, false);
    }

    /**
     * @param sinkId the ledger key of this sink (one per job and store)
     * @param subtask recorded in the ledger beside each position
     * @param legacy use {@code store.write} with materialization-id replay checks instead of the bulk path
     */
    public StoreSinkWriter(MetadataStore store, StreamPlan plan, int batchSize, MetricGroup metrics, String sinkId,
            int subtask, boolean legacy) {
        this.store = store;
        this.plan = plan;
        this.batchSize = batchSize;
        this.written = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreRowsWritten");
        this.rejected = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreRowsRejected");
        this.skipped = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreRowsReplaySkipped");
        this.commitsDeferred = metrics == null ? new SimpleCounter() : metrics.counter("metaxyStoreCommitsDeferred");
        if (!legacy && store instanceof SqlMetadataStore sql) {
            this.tx = sql.sinkTransaction(sinkId, subtask);
            this.ledger = tx.ledger();
            this.appendsWait = tx::appendsWait;
        } else {
            this.tx = null;
            this.ledger = Map.of();
            this.appendsWait = () -> false;
        }
    }

    /** At most this many rows are held while DuckDB checkpoints; beyond, the writer waits for it as before. */
    static final int MAX_DEFERRED = 500_000;

    /**
     * Restores what a checkpoint carried ({@link #snapshotState}): its rows are written first, in
     * order and past the ledger, as a replay would be.
     */
    void restore(java.util.Collection<StoreSinkState> states) {
        for (StoreSinkState state : states) {
            for (StampedRow row : state.rows()) {
                write(row, null);
            }
        }
    }

    /** Tests: what says that appends must wait now (by default DuckDB's background checkpoint running). */
    void appendsWaitWhile(BooleanSupplier condition) {
        this.appendsWait = condition;
    }

    /** Checkpoints whose barrier found DuckDB checkpointing, so their rows went into the writer's state. */
    public long commitsDeferred() {
        return commitsDeferred.getCount();
    }

    /** Replayed records skipped because the ledger holds them. */
    public long rowsSkipped() {
        return skipped.getCount();
    }

    public long rowsWritten() {
        return written.getCount();
    }

    public long rowsRejected() {
        return rejected.getCount();
    }

    @Override
    public void write(StampedRow row, Context context) {
        if (row.seed) {
            return; // read from this store by a bootstrap: it is there already
        }
        if (tx == null) {
            buffer.add(row);
            if (buffer.size() >= batchSize) {
                apply();
            }
            return;
        }
        String partition = partitionKey(row);
        if (!ledger.isEmpty()) {
            Long committed = ledger.get(partition);
            if (committed != null) {
                if (row.offset <= committed) {
                    skipped.inc();
                    return;
                }
                ledger.remove(partition); // records of a partition arrive in order: the replay is past it
            }
        }
        uncommitted.add(row);
        if (deferred.size() < MAX_DEFERRED && appendsWait.getAsBoolean()) {
            deferred.add(row);
            return;
        }
        appendDeferred();
        appendAt(partition, row);
    }

    /** Appends the held rows, in order (waits for DuckDB if it still checkpoints). */
    private void appendDeferred() {
        if (deferred.isEmpty()) {
            return;
        }
        for (StampedRow held : deferred) {
            appendAt(partitionKey(held), held);
        }
        deferred.clear();
    }

    /** Appends {@code row} to the open transaction, its position noted for the ledger. */
    private void appendAt(String partition, StampedRow row) {
        positions.merge(partition, row.offset, Math::max);
        append(row);
        if (++sinceFlush >= batchSize) {
            tx.flushPending(); // bounds what the appender / COPY buffer holds; still one transaction
            sinceFlush = 0;
        }
    }

    /** {@code topic/partition}, the ledger's key; the last one is kept, as rows of one partition come in runs. */
    private String partitionKey(StampedRow row) {
        if (lastPartitionKey == null || row.partition != lastPartition || !java.util.Objects.equals(row.topic, lastTopic)) {
            lastTopic = row.topic;
            lastPartition = row.partition;
            lastPartitionKey = row.topic + "/" + row.partition;
        }
        return lastPartitionKey;
    }

    /**
     * Before every checkpoint barrier and at end of input: commits the rows since the last flush
     * together with their positions in the ledger.
     */
    @Override
    public void flush(boolean endOfInput) {
        if (tx == null) {
            apply();
            return;
        }
        if (!endOfInput && !uncommitted.isEmpty() && appendsWait.getAsBoolean()) {
            // The commit would wait for DuckDB's checkpoint: this checkpoint carries the rows instead.
            commitsDeferred.inc();
            return;
        }
        appendDeferred();
        if (!positions.isEmpty()) {
            tx.commit(positions);
            positions.clear();
        }
        uncommitted.clear();
        chunks.clear();
        serialized = 0;
        sinceFlush = 0;
    }

    /** Empty unless a barrier found DuckDB checkpointing: then every row since the last commit. */
    @Override
    public List<StoreSinkState> snapshotState(long checkpointId) {
        if (uncommitted.isEmpty()) {
            return List.of();
        }
        if (serialized < uncommitted.size()) {
            chunks.add(StoreSinkState.of(uncommitted.subList(serialized, uncommitted.size())));
            serialized = uncommitted.size();
        }
        return List.copyOf(chunks);
    }

    /** Rolls back what no flush committed, then closes the store. */
    @Override
    public void close() {
        try {
            if (tx != null) {
                tx.close();
            }
        } finally {
            store.close();
        }
    }

    // ------------------------------------------------------------ bulk path

    private void append(StampedRow row) {
        try {
            boolean plain = row.op == RowOp.UPSERT || row.op == RowOp.SOFT_DELETE && row.provenanceByField != null;
            if (plain) {
                // Typed by the parse and sent in binary: no JSON is parsed here.
                Map<String, Object> ids = row.ids();
                Map<String, Object> columns = row.columns() == null ? RowValues.EMPTY : row.columns();
                long stamp = StoreClock.nextMicros();
                tx.append(row.feature, ids, columns, row.provenanceByField, row.provenance, row.dataVersionByField,
                        row.dataVersion, row.featureVersion, row.createdAt * 1000L, stamp, deletedAt(row, stamp),
                        row.storeMaterializationId());
                written.inc();
            } else if (row.op == RowOp.SOFT_DELETE) {
                tx.flushPending();
                Filter ofVersion = Filter.and(idsFilter(row), Filter.eq(SystemColumns.FEATURE_VERSION, row.featureVersion));
                List<MetadataRow> latest = store.read(row.feature, ReadOptions.defaults().filter(ofVersion).allFeatureVersions(true));
                if (latest.isEmpty()) {
                    return; // nothing visible to hide (unknown or already deleted sample)
                }
                MetadataRow l = latest.get(0);
                List<String> fields = plan.feature(row.feature).fields;
                long stamp = StoreClock.nextMicros();
                tx.append(row.feature, l.ids(), l.columns(), SinkTransaction.byField(fields, l.provenanceByField()),
                        l.provenance(), SinkTransaction.byField(fields, l.effectiveDataVersionByField()), l.dataVersion(),
                        l.featureVersion(), StoreClock.micros(l.createdAt()), stamp, deletedAt(row, stamp), row.storeMaterializationId());
                written.inc();
            } else {
                tx.flushPending();
                store.delete(row.feature, idsFilter(row), DeleteMode.HARD, true);
            }
        } catch (SchemaMismatchException e) {
            reject(row, e);
        }
    }

    /** The record's deletion time, unless it would sort before {@code stamp} (then the stamp); null if none. */
    private static Long deletedAt(StampedRow row, long stamp) {
        if (row.deletedAt == null) {
            return null;
        }
        Instant given = Instant.ofEpochMilli(row.deletedAt);
        long givenMicros = StoreClock.micros(given);
        if (givenMicros > stamp) {
            StoreClock.notBefore(given);
            return givenMicros;
        }
        return stamp;
    }

    // ------------------------------------------------------------ legacy path

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
        for (Map.Entry<String, Object> id : row.ids().entrySet()) {
            parts.add(Filter.eq(id.getKey(), id.getValue()));
        }
        return Filter.and(parts);
    }

    private void reject(StampedRow row, RuntimeException e) {
        rejected.inc();
        LOG.warn("store sink: feature '{}' sample {} from {} ({}) was not stored: {}", row.feature, row.idsJson(),
                row.sourcePosition(), row.op, e.getMessage());
    }
}
