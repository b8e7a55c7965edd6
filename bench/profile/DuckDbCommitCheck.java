import java.sql.*;
import java.nio.file.*;
import org.duckdb.*;
/**
 * DuckDB commit times of the store sink's shape: 120 transactions of 6k appended rows (one per
 * checkpoint at 6k rows/s), 200 ms apart, then commit median/p90/p99/max. Argument 1: the
 * checkpoint_threshold ("16MB" is DuckDB's default; "1GB" as the sink sets it); argument 2
 * "background": a CHECKPOINT on a second connection after a commit that leaves >= 16 MB of WAL,
 * as store.sql.DuckDbCheckpointer does.
 *
 *   java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.2.1/duckdb_jdbc-1.5.2.1.jar bench/profile/DuckDbCommitCheck.java 16MB
 *   java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.2.1/duckdb_jdbc-1.5.2.1.jar bench/profile/DuckDbCommitCheck.java 1GB background
 */
public class DuckDbCommitCheck {
  public static void main(String[] a) throws Exception {
    Path dir = Files.createTempDirectory("ddx");
    String threshold = a.length > 0 ? a[0] : null;
    boolean background = a.length > 1 && a[1].equals("background");
    Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("x.duckdb"));
    try (Statement st = c.createStatement()) {
      if (threshold != null) st.execute("SET checkpoint_threshold='" + threshold + "'");
      st.execute("CREATE TABLE t (sample_uid BIGINT, pbf STRUCT(audio VARCHAR, frames VARCHAR), p VARCHAR, dbf STRUCT(audio VARCHAR, frames VARCHAR), d VARCHAR, fv VARCHAR, created TIMESTAMPTZ, updated TIMESTAMPTZ, deleted TIMESTAMPTZ, mid VARCHAR)");
    }
    long id = 0;
    Connection other = ((DuckDBConnection) c).duplicate();
    java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newSingleThreadExecutor(r -> { Thread t = new Thread(r); t.setDaemon(true); return t; });
    java.util.concurrent.Future<?>[] running = {null};
    Path wal = dir.resolve("x.duckdb.wal");
    long[] commits = new long[120];
    for (int round = 0; round < commits.length; round++) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) { st.execute("SELECT 1"); }
      DuckDBAppender ap = c.unwrap(DuckDBConnection.class).createAppender("t");
      for (int i = 0; i < 6000; i++, id++) {
        ap.beginRow();
        ap.append(id);
        ap.beginStruct(); ap.append("a" + Long.toHexString(id * 2654435761L)); ap.append("f" + Long.toHexString(id * 40503L)); ap.endStruct();
        ap.append(Long.toHexString(id * 97L));
        ap.beginStruct(); ap.append("a" + Long.toHexString(id * 2654435761L)); ap.append("f" + Long.toHexString(id * 40503L)); ap.endStruct();
        ap.append(Long.toHexString(id * 97L));
        ap.append("fv123456");
        ap.appendEpochMicros(System.currentTimeMillis() * 1000);
        ap.appendEpochMicros(System.currentTimeMillis() * 1000);
        ap.appendNull();
        ap.append("metaxy.bench__video/0/" + id);
        ap.endRow();
      }
      ap.flush();
      ap.close();
      long t0 = System.nanoTime();
      c.commit();
      commits[round] = (System.nanoTime() - t0) / 1000;
      c.setAutoCommit(true);
      long walSize = Files.exists(wal) ? Files.size(wal) : 0;
      if (background && walSize > 16L << 20 && (running[0] == null || running[0].isDone())) {
        final int r0 = round;
        running[0] = ex.submit(() -> { long t1 = System.nanoTime(); try (Statement st = other.createStatement()) { st.execute("CHECKPOINT"); System.out.printf("  bg CHECKPOINT after round %d: %d ms%n", r0, (System.nanoTime()-t1)/1000000); } catch (SQLException e) { System.out.println("  bg refused: " + e.getMessage().split("\n")[0]); } });
      }
      Thread.sleep(200);
    }
    long[] s = commits.clone(); java.util.Arrays.sort(s);
    StringBuilder big = new StringBuilder();
    for (int i = 0; i < commits.length; i++) if (commits[i] > 30000) big.append(i).append(':').append(commits[i] / 1000).append("ms ");
    System.out.printf("threshold %s: commit median %d us, p90 %d, p99 %d, max %d us; slow: %s%n", threshold, s[s.length/2], s[s.length*9/10], s[s.length*99/100], s[s.length-1], big);
  }
}
