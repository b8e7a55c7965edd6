import java.sql.*;
import java.nio.file.*;
import org.duckdb.*;
/**
 * Does an append wait for a DuckDB CHECKPOINT on another connection of the same database? 1.2M
 * committed rows in the WAL, a CHECKPOINT started in a second thread, then a transaction appending
 * 10 chunks of 2048 rows: prints how long the begin, each chunk's appender flush and the commit
 * took, and whether the checkpoint still ran. (duckdb_jdbc 1.5.2.1: the first flush waits for the
 * checkpoint's whole duration.) Also the checkpoint cost by WAL size: bench/profile/DuckDbCheckpointCost.java.
 *
 *   java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.2.1/duckdb_jdbc-1.5.2.1.jar bench/profile/DuckDbAppendDuringCheckpoint.java
 */
public class DuckDbAppendDuringCheckpoint {
  static void rows(DuckDBAppender ap, long from, int n) throws Exception {
    for (long id = from; id < from + n; id++) {
      ap.beginRow(); ap.append(id);
      String h3 = String.format("%08x", (int) (id * 97L + 3));
      ap.beginStruct(); ap.append("a" + id); ap.append("f" + id); ap.endStruct();
      ap.append(h3);
      ap.beginStruct(); ap.append("a" + id); ap.append("f" + id); ap.endStruct();
      ap.append(h3); ap.append("9f2c4a1b");
      ap.appendEpochMicros(1764650000000000L + id * 30); ap.appendEpochMicros(1764650000000000L + id * 30);
      ap.appendNull(); ap.appendNull(); ap.appendNull(); ap.appendNull();
      ap.endRow();
    }
  }
  public static void main(String[] a) throws Exception {
    Path dir = Files.createTempDirectory("ddb");
    Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("x.duckdb"));
    try (Statement st = c.createStatement()) {
      st.execute("SET checkpoint_threshold='1GB'");
      st.execute("CREATE TABLE t (sample_uid BIGINT NOT NULL, pbf STRUCT(audio VARCHAR, frames VARCHAR) NOT NULL, p VARCHAR NOT NULL, dbf STRUCT(audio VARCHAR, frames VARCHAR) NOT NULL, d VARCHAR NOT NULL, fv VARCHAR NOT NULL, created TIMESTAMPTZ NOT NULL, updated TIMESTAMPTZ NOT NULL, deleted TIMESTAMPTZ, mid VARCHAR, pv VARCHAR, dv VARCHAR)");
    }
    long id = 0;
    // 2M committed rows in the WAL
    for (int tx = 0; tx < 40; tx++) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) { st.execute("SELECT 1"); }
      DuckDBAppender ap = c.unwrap(DuckDBConnection.class).createAppender("t");
      rows(ap, id, 30000); id += 30000; ap.close(); c.commit(); c.setAutoCommit(true);
    }
    Connection other = ((DuckDBConnection) c).duplicate();
    long[] ck = new long[2];
    Thread t = new Thread(() -> { try (Statement st = other.createStatement()) { ck[0] = System.nanoTime(); st.execute("CHECKPOINT"); ck[1] = System.nanoTime(); } catch (Exception e) { e.printStackTrace(); } });
    long t0 = System.nanoTime();
    t.start();
    Thread.sleep(50);
    // appends in a new transaction while the checkpoint runs: time begin, each 2048-row chunk, commit
    long s = System.nanoTime();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) { st.execute("SELECT 1"); }
    System.out.printf("begin %.0f ms (ckpt running: %b)%n", (System.nanoTime() - s) / 1e6, t.isAlive());
    DuckDBAppender ap = c.unwrap(DuckDBConnection.class).createAppender("t");
    for (int k = 0; k < 10; k++) {
      s = System.nanoTime();
      rows(ap, id, 2048); id += 2048; ap.flush();
      System.out.printf("chunk %d: %.0f ms at +%.0f ms (ckpt running: %b)%n", k, (System.nanoTime() - s) / 1e6, (System.nanoTime() - t0) / 1e6, t.isAlive());
    }
    s = System.nanoTime(); ap.close(); c.commit();
    System.out.printf("commit %.0f ms at +%.0f (ckpt running: %b)%n", (System.nanoTime() - s) / 1e6, (System.nanoTime() - t0) / 1e6, t.isAlive());
    t.join();
    System.out.printf("checkpoint %.0f ms%n", (ck[1] - ck[0]) / 1e6);
  }
}
