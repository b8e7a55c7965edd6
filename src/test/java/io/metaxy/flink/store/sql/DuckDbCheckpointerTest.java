package io.metaxy.flink.store.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sink's background DuckDB checkpoint: it folds the WAL into the file beside an open write transaction, losing nothing. */
class DuckDbCheckpointerTest {
    @TempDir
    Path dir;

    @Test
    void checkpointsInTheBackgroundWhileTheNextTransactionAppends() throws Exception {
        Path file = dir.resolve("c.duckdb");
        Path wal = Path.of(file + ".wal");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (i BIGINT, s VARCHAR)");
            }
            DuckDbCheckpointer cp = DuckDbCheckpointer.start(c, 1);
            try {
                assertThat(setting(c)).as("commits no longer checkpoint at DuckDB's 16 MB").doesNotContain("16");
                c.setAutoCommit(false);
                insert(c, 0, 50_000);
                c.commit();
                assertThat(Files.size(wal)).as("the commit left its rows in the WAL").isPositive();
                cp.afterCommit();
                // The next transaction appends and commits while the checkpoint may run.
                insert(c, 50_000, 50_000);
                c.commit();
                await().atMost(Duration.ofSeconds(60)).until(() -> cp.checkpoints() >= 1);
                cp.afterCommit();
                await().atMost(Duration.ofSeconds(60)).until(() -> cp.checkpoints() >= 2);
                c.setAutoCommit(true);
                assertThat(Files.exists(wal) ? Files.size(wal) : 0).as("the WAL was folded into the file").isZero();
            } finally {
                cp.close();
            }
        }
        try (Connection again = DriverManager.getConnection("jdbc:duckdb:" + file);
                Statement st = again.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT i), sum(i) FROM t")) {
            rs.next();
            assertThat(rs.getLong(1)).isEqualTo(100_000);
            assertThat(rs.getLong(2)).isEqualTo(100_000);
            assertThat(rs.getLong(3)).isEqualTo(100_000L * 99_999 / 2);
        }
    }

    @Test
    void aWalBelowTheThresholdIsLeftToGrow() throws Exception {
        Path file = dir.resolve("d.duckdb");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file)) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (i BIGINT, s VARCHAR)");
            }
            DuckDbCheckpointer cp = DuckDbCheckpointer.start(c);
            try {
                insert(c, 0, 100);
                cp.afterCommit();
                cp.close();
                assertThat(cp.checkpoints()).isZero();
                assertThat(Files.size(Path.of(file + ".wal"))).isPositive();
            } finally {
                cp.close();
            }
        }
    }

    @Test
    void anInMemoryDatabaseHasNone() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            assertThat(DuckDbCheckpointer.start(c)).isNull();
        }
    }

    private static String setting(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('checkpoint_threshold')")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void insert(Connection c, long from, long count) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO t SELECT i, 'row ' || i FROM range(" + from + ", " + (from + count) + ") r(i)");
        }
    }
}
