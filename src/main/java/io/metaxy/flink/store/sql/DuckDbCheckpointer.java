package io.metaxy.flink.store.sql;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.duckdb.DuckDBConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes DuckDB's checkpoint (the write-ahead log folded into the database file) off the store
 * sink's commit. DuckDB runs it inside the commit that takes the WAL past
 * {@code checkpoint_threshold} (16 MB by default), and it grows with the table: measured here,
 * commits of 6k rows took 15 ms but every ~20th took 0.3–1 s at under 1M rows. The sink commits
 * before each Flink checkpoint barrier, so that commit was the checkpoint's, and every increment
 * of that checkpoint waited for it (exactly-once increments are readable once the checkpoint
 * completes).
 *
 * <p>So the sink raises the threshold to {@value #FALLBACK_THRESHOLD} (a safety net) and, after a
 * commit that leaves the WAL at {@value #WAL_BYTES} bytes or more, runs {@code CHECKPOINT} on
 * its own connection in a background thread. DuckDB checkpoints committed data while the sink's
 * next transaction appends and commits (same-process connections; checked by
 * {@code DuckDbCheckpointerTest}).
 *
 * <pre>{@code
 * DuckDbCheckpointer cp = DuckDbCheckpointer.start(connection); // null for an in-memory database
 * connection.commit();
 * cp.afterCommit();
 * }</pre>
 */
final class DuckDbCheckpointer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DuckDbCheckpointer.class);
    /**
     * DuckDB's default {@code checkpoint_threshold}. A larger WAL costs less checkpoint CPU per row
     * (measured with 1.2M rows: 2.3 us per row through 16 MB checkpoints, 0.9 through 64 MB ones),
     * but each checkpoint runs longer, and the sink holds its rows in memory (and in Flink's
     * checkpoints) while one runs: at 1M samples a 64 MB fold under load took 18 s, and its held
     * rows, carried by every Flink checkpoint meanwhile, raised the freshness p99 to 2.8 s; with
     * 16 MB it stayed at 1.4 s.
     */
    static final long WAL_BYTES = 16L << 20;
    static final String FALLBACK_THRESHOLD = "1GB";

    private final Connection connection;
    private final Path wal;
    private final long walBytes;
    private final ExecutorService thread;
    private Future<?> running;
    private volatile long checkpoints;

    private DuckDbCheckpointer(Connection connection, Path wal, long walBytes) {
        this.connection = connection;
        this.wal = wal;
        this.walBytes = walBytes;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metaxy-duckdb-checkpoint");
            t.setDaemon(true);
            return t;
        });
    }

    /** For the database of {@code sinkConnection}; null when it has no file (in-memory). */
    static DuckDbCheckpointer start(Connection sinkConnection) throws SQLException {
        return start(sinkConnection, WAL_BYTES);
    }

    static DuckDbCheckpointer start(Connection sinkConnection, long walBytes) throws SQLException {
        String path = null;
        try (Statement st = sinkConnection.createStatement();
                ResultSet rs = st.executeQuery("SELECT path FROM duckdb_databases() WHERE database_name = current_database()")) {
            if (rs.next()) {
                path = rs.getString(1);
            }
        }
        if (path == null || path.isEmpty()) {
            return null;
        }
        try (Statement st = sinkConnection.createStatement()) {
            st.execute("SET checkpoint_threshold = '" + FALLBACK_THRESHOLD + "'");
        }
        Connection own = sinkConnection.unwrap(DuckDBConnection.class).duplicate();
        return new DuckDbCheckpointer(own, Path.of(path + ".wal"), walBytes);
    }

    /** After a commit: starts a background checkpoint if the WAL is due one and none runs. */
    void afterCommit() {
        if (running != null && !running.isDone()) {
            return;
        }
        long size;
        try {
            size = Files.exists(wal) ? Files.size(wal) : 0;
        } catch (java.io.IOException e) {
            return;
        }
        if (size < walBytes) {
            return;
        }
        running = thread.submit(this::checkpoint);
    }

    private void checkpoint() {
        long t0 = System.nanoTime();
        try (Statement st = connection.createStatement()) {
            st.execute("CHECKPOINT");
            checkpoints++;
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (ms >= 1000) {
                LOG.info("DuckDB checkpoint in the background: {} ms", ms);
            } else {
                LOG.debug("DuckDB checkpoint in the background: {} ms", ms);
            }
        } catch (SQLException e) {
            // The raised threshold stays a safety net: a later commit checkpoints as DuckDB would.
            LOG.warn("DuckDB background checkpoint failed (a commit will checkpoint instead): {}", e.getMessage());
        }
    }

    /** Whether a background checkpoint is running now. */
    boolean running() {
        return running != null && !running.isDone();
    }

    /** Background checkpoints completed. */
    long checkpoints() {
        return checkpoints;
    }

    /** Waits for a running checkpoint (up to a minute) and closes its connection. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("DuckDB background checkpoint still running after 60 s; closing its connection");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing
        }
    }
}
