package io.metaxy.flink.store.sql;

import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.store.SchemaMismatchException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The store sink's bulk append path: rows that already carry their provenance, data versions,
 * feature version and timestamps (the stream computed and stamped them) are appended without the
 * per-row work of {@link SqlMetadataStore#write} — no re-hashing, no lookup of materialization ids
 * — through DuckDB's appender or PostgreSQL's {@code COPY … FROM STDIN}, inside one database
 * transaction that {@link #commit} closes together with the sink's ledger: the source positions
 * (topic, partition, last offset) the transaction covers, in table {@value #LEDGER}. A writer
 * that restarts reads {@link #ledger} and skips every replayed record at or below it, so each
 * record lands exactly once without a lookup per row.
 *
 * <p>What is still checked per row, in Java, before it is buffered (a refused row throws
 * {@link SchemaMismatchException} and nothing of it is appended): the id columns (present, no
 * others, a value the column's type takes), user column names (identifiers, no collision with id
 * or system columns) and values (the column's type), the lineage 'on' columns (not null) and
 * non-null per-field versions. Tables and new user columns are created as {@code write} creates
 * them.
 *
 * <p>One transaction at a time per store; reads and deletes issued on the same store between
 * {@link #flushPending} and {@link #commit} see the appended rows (same connection, same
 * transaction). Not thread-safe.
 */
public final class SinkTransaction implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SinkTransaction.class);
    /** A commit at least this long is logged: it runs before the checkpoint barrier. */
    private static final long SLOW_COMMIT_NANOS = 500_000_000L;
    /** The ledger table: {@code (sink_id, topic, kafka_partition) → last_offset}, one row per source partition. */
    public static final String LEDGER = "metaxy_sink_ledger";

    private final SqlMetadataStore store;
    private final Connection connection;
    private final boolean duckdb;
    private final String sinkId;
    private final int subtask;
    private final Map<FeatureKey, TableAppender> targets = new HashMap<>();
    /** By the feature string the writer passes: parsing a feature key per row was a top cost. */
    private final Map<String, TableAppender> targetsByName = new HashMap<>();
    private boolean open;
    /** The ledger's two statements, prepared at the first commit and kept for the connection's life. */
    private PreparedStatement ledgerUpdate;
    private PreparedStatement ledgerInsert;
    /** DuckDB's checkpoint, run beside the sink instead of inside its commits; null on PostgreSQL or in memory. */
    private final DuckDbCheckpointer checkpointer;

    SinkTransaction(SqlMetadataStore store, String sinkId, int subtask) throws SQLException {
        this.store = store;
        this.connection = store.connection();
        this.duckdb = store.dialect() instanceof DuckDbDialect;
        this.sinkId = Objects.requireNonNull(sinkId, "sinkId");
        this.subtask = subtask;
        String ddl = "CREATE TABLE IF NOT EXISTS " + LEDGER + " (sink_id " + text() + " NOT NULL, topic " + text()
                + " NOT NULL, kafka_partition BIGINT NOT NULL, last_offset BIGINT NOT NULL, subtask BIGINT,"
                + " committed_at TIMESTAMPTZ)";
        try (Statement st = connection.createStatement()) {
            st.execute(ddl);
        } catch (SQLException e) {
            // Several writers starting on a fresh PostgreSQL database race on CREATE TABLE IF NOT
            // EXISTS (a unique violation in the catalog): the other one created it; check once more.
            try (Statement st = connection.createStatement()) {
                st.execute(ddl);
            } catch (SQLException again) {
                e.addSuppressed(again);
                throw e;
            }
        }
        this.checkpointer = duckdb ? DuckDbCheckpointer.start(connection) : null;
    }

    private String text() {
        return duckdb ? "VARCHAR" : "TEXT";
    }

    /** The committed positions of this sink: {@code "topic/partition" → last offset}. */
    public Map<String, Long> ledger() {
        Map<String, Long> out = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement(
                "SELECT topic, kafka_partition, last_offset FROM " + LEDGER + " WHERE sink_id = ?")) {
            ps.setString(1, sinkId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.merge(rs.getString(1) + "/" + rs.getLong(2), rs.getLong(3), Math::max);
                }
            }
        } catch (SQLException e) {
            throw store.failure("reading the sink ledger failed", e);
        }
        return out;
    }

    /**
     * Whether an append (or the commit) would wait now: DuckDB's checkpoint is folding the WAL into
     * the database file, and a table's appends wait for it to end. False on PostgreSQL.
     */
    public boolean appendsWait() {
        return checkpointer != null && checkpointer.running();
    }

    /** Starts the transaction if none is open (idempotent). */
    public void begin() {
        if (open) {
            return;
        }
        try {
            connection.setAutoCommit(false);
            TableAppender.openTransactionNow(connection);
            open = true;
            store.sinkOpen = true;
        } catch (SQLException e) {
            throw store.failure("starting the sink transaction failed", e);
        }
    }

    /** The per-field array {@link #append} takes: {@code values} in the order of {@code fields}; all null if it is null. */
    public static String[] byField(List<String> fields, Map<String, String> values) {
        String[] out = new String[fields.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values == null ? null : values.get(fields.get(i));
        }
        return out;
    }

    /**
     * Buffers one row for {@code feature}; per-field arrays follow the feature's sorted fields.
     * {@code dataVersionByField} null means "same as provenance". Timestamps in microseconds.
     *
     * @throws SchemaMismatchException the row does not fit the feature or its table; nothing of it is buffered
     */
    public void append(String feature, Map<String, Object> ids, Map<String, Object> columns, String[] provenanceByField,
            String provenance, String[] dataVersionByField, String dataVersion, String featureVersion, long createdAtMicros,
            long updatedAtMicros, Long deletedAtMicros, String materializationId) {
        begin();
        try {
            TableAppender target = target(feature);
            target.check(ids, columns, provenanceByField, dataVersionByField);
            target.ensureColumns(ids, columns);
            Object[] values = target.values(ids, columns, provenanceByField, provenance,
                    dataVersionByField == null ? provenanceByField : dataVersionByField,
                    dataVersion == null ? provenance : dataVersion, featureVersion, createdAtMicros, updatedAtMicros,
                    deletedAtMicros, materializationId, null, null);
            target.checkTypes(ids, values);
            target.add(values);
        } catch (SQLException e) {
            throw store.failure("appending to feature '" + feature + "' failed", e);
        }
    }

    /** Hands every buffered row to the database (still uncommitted): reads and deletes in the transaction see them. */
    public void flushPending() {
        for (TableAppender target : targets.values()) {
            try {
                target.flush();
            } catch (SQLException e) {
                throw store.failure("appending to feature '" + target.key + "' failed", e);
            }
        }
    }

    /** Rows handed to the database or buffered since {@link #begin}. */
    public long rowsAppended() {
        long n = 0;
        for (TableAppender t : targets.values()) {
            n += t.appended + t.pending;
        }
        return n;
    }

    /**
     * Flushes, records {@code positions} ({@code "topic/partition" → last offset}) in the ledger
     * and commits: the rows and the positions become durable together.
     */
    public void commit(Map<String, Long> positions) {
        begin();
        long t0 = System.nanoTime();
        flushPending();
        long flushed = System.nanoTime();
        long ledgered;
        long closed;
        boolean checkpointing = appendsWait();
        try {
            if (ledgerUpdate == null) {
                // Prepared once, not at every commit: the ledger's part of a commit was 17 ms at the median
                // (100k samples) when DuckDB planned both statements each time, 10 ms since (1M samples).
                ledgerUpdate = connection.prepareStatement("UPDATE " + LEDGER
                        + " SET last_offset = ?, subtask = ?, committed_at = now() WHERE sink_id = ? AND topic = ? AND kafka_partition = ?");
                ledgerInsert = connection.prepareStatement("INSERT INTO " + LEDGER
                        + " (sink_id, topic, kafka_partition, last_offset, subtask, committed_at) VALUES (?, ?, ?, ?, ?, now())");
            }
            for (Map.Entry<String, Long> p : positions.entrySet()) {
                int slash = p.getKey().lastIndexOf('/');
                String topic = p.getKey().substring(0, slash);
                long partition = Long.parseLong(p.getKey().substring(slash + 1));
                ledgerUpdate.setLong(1, p.getValue());
                ledgerUpdate.setLong(2, subtask);
                ledgerUpdate.setString(3, sinkId);
                ledgerUpdate.setString(4, topic);
                ledgerUpdate.setLong(5, partition);
                if (ledgerUpdate.executeUpdate() == 0) {
                    ledgerInsert.setString(1, sinkId);
                    ledgerInsert.setString(2, topic);
                    ledgerInsert.setLong(3, partition);
                    ledgerInsert.setLong(4, p.getValue());
                    ledgerInsert.setLong(5, subtask);
                    ledgerInsert.executeUpdate();
                }
            }
            ledgered = System.nanoTime();
            closeAppenders();
            closed = System.nanoTime();
            connection.commit();
            long committed = System.nanoTime();
            if (LOG.isDebugEnabled()) {
                LOG.debug("store sink: commit {} us (appender flush {}, ledger {}, appender close {}, commit {} us){}",
                        (committed - t0) / 1_000, (flushed - t0) / 1_000, (ledgered - flushed) / 1_000,
                        (closed - ledgered) / 1_000, (committed - closed) / 1_000, checkpointing ? "; checkpointing" : "");
            }
            if (committed - t0 >= SLOW_COMMIT_NANOS) {
                // The commit runs before the checkpoint barrier: its time is every increment's wait.
                LOG.info("store sink: slow commit, {} ms (appender flush {}, ledger {}, appender close {}, commit {} ms){}",
                        (committed - t0) / 1_000_000, (flushed - t0) / 1_000_000, (ledgered - flushed) / 1_000_000,
                        (closed - ledgered) / 1_000_000, (committed - closed) / 1_000_000,
                        checkpointing ? "; a background DuckDB checkpoint was running" : "");
            }
            connection.setAutoCommit(true);
            if (checkpointer != null) {
                checkpointer.afterCommit();
            }
            open = false;
            store.sinkOpen = false;
            for (TableAppender t : targets.values()) {
                t.appended = 0;
            }
        } catch (SQLException e) {
            rollback();
            throw store.failure("committing the sink transaction failed, nothing of it was stored", e);
        }
    }

    /** Drops everything since {@link #begin}. */
    public void rollback() {
        try {
            closeAppenders();
        } catch (SQLException ignored) {
            // rolled back below anyway
        }
        for (TableAppender t : targets.values()) {
            t.reset();
        }
        targets.clear(); // schemas may have been changed by the rolled-back DDL
        targetsByName.clear();
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
                connection.setAutoCommit(true);
            }
        } catch (SQLException ignored) {
            // a failed connection has nothing left to roll back
        }
        store.forgetSchemas();
        open = false;
        store.sinkOpen = false;
    }

    /** Rolls back what is uncommitted. */
    @Override
    public void close() {
        try {
            if (open) {
                rollback();
            }
        } finally {
            closeLedgerStatements();
            if (checkpointer != null) {
                checkpointer.close();
            }
        }
    }

    private void closeLedgerStatements() {
        for (PreparedStatement st : new PreparedStatement[] {ledgerUpdate, ledgerInsert}) {
            if (st != null) {
                try {
                    st.close();
                } catch (SQLException ignored) {
                    // the connection closes with the store anyway
                }
            }
        }
        ledgerUpdate = null;
        ledgerInsert = null;
    }

    private void closeAppenders() throws SQLException {
        SQLException first = null;
        for (TableAppender t : targets.values()) {
            try {
                t.flush();
                t.closeAppender();
            } catch (SQLException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private TableAppender target(String feature) throws SQLException {
        TableAppender byName = targetsByName.get(feature);
        if (byName != null) {
            return byName;
        }
        FeatureSpec spec = store.spec(feature);
        TableAppender t = targets.get(spec.key());
        if (t == null) {
            t = new TableAppender(store, spec);
            targets.put(spec.key(), t);
        }
        targetsByName.put(feature, t);
        return t;
    }

}
