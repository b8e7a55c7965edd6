import java.sql.*;
import java.nio.file.*;
import org.duckdb.*;
/**
 * DuckDB checkpoint cost by WAL size for the store sink's row shape: 1.2M rows (-Drows=N) appended in
 * transactions of 30k, a CHECKPOINT on a second connection whenever the WAL reaches ARG1 MB (as
 * store.sql.DuckDbCheckpointer does); prints the checkpoints' total and longest time and CPU per
 * row; ARG2 forces a compression (e.g. uncompressed); -Deach=1 prints every checkpoint.
 *
 *   java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.2.1/duckdb_jdbc-1.5.2.1.jar bench/profile/DuckDbCheckpointCost.java 16
 *   java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.2.1/duckdb_jdbc-1.5.2.1.jar bench/profile/DuckDbCheckpointCost.java 64
 */
public class DuckDbCheckpointCost {
  public static void main(String[] a) throws Exception {
    Path dir = Files.createTempDirectory("ddc");
    long walBytes = Long.parseLong(a[0]) << 20;
    String compression = a.length > 1 ? a[1] : "auto";
    int rows = Integer.parseInt(System.getProperty("rows", "1200000")), perTx = 30_000;
    Connection c = DriverManager.getConnection("jdbc:duckdb:" + dir.resolve("x.duckdb"));
    try (Statement st = c.createStatement()) {
      st.execute("SET checkpoint_threshold='1GB'");
      if (!compression.equals("auto")) st.execute("SET force_compression='" + compression + "'");
      st.execute("CREATE TABLE t (sample_uid BIGINT NOT NULL, pbf STRUCT(audio VARCHAR, frames VARCHAR) NOT NULL, p VARCHAR NOT NULL, dbf STRUCT(audio VARCHAR, frames VARCHAR) NOT NULL, d VARCHAR NOT NULL, fv VARCHAR NOT NULL, created TIMESTAMPTZ NOT NULL, updated TIMESTAMPTZ NOT NULL, deleted TIMESTAMPTZ, mid VARCHAR, pv VARCHAR, dv VARCHAR)");
    }
    Connection other = ((DuckDBConnection) c).duplicate();
    Path wal = dir.resolve("x.duckdb.wal");
    long ckNanos = 0, ckCount = 0, ckMax = 0, appendNanos = 0, commitNanos = 0;
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    long ckCpu = 0;
    long id = 0;
    for (int tx = 0; tx < rows / perTx; tx++) {
      long t0 = System.nanoTime();
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) { st.execute("SELECT 1"); }
      DuckDBAppender ap = c.unwrap(DuckDBConnection.class).createAppender("t");
      for (int i = 0; i < perTx; i++, id++) {
        ap.beginRow();
        ap.append(id);
        String h1 = String.format("%08x", (int) (id * 2654435761L)), h2 = String.format("%08x", (int) (id * 40503L + 7)), h3 = String.format("%08x", (int) (id * 97L + 3));
        ap.beginStruct(); ap.append("a" + id); ap.append("f" + id); ap.endStruct();
        ap.append(h3);
        ap.beginStruct(); ap.append("a" + id); ap.append("f" + id); ap.endStruct();
        ap.append(h3);
        ap.append("9f2c4a1b");
        ap.appendEpochMicros(1764650000000000L + id * 30);
        ap.appendEpochMicros(1764650000000000L + id * 30);
        ap.appendNull(); ap.appendNull(); ap.appendNull(); ap.appendNull();
        ap.endRow();
      }
      ap.close();
      long t1 = System.nanoTime();
      c.commit();
      c.setAutoCommit(true);
      long t2 = System.nanoTime();
      appendNanos += t1 - t0; commitNanos += t2 - t1;
      if (Files.size(wal) >= walBytes) {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long s = System.nanoTime();
        try (Statement st = other.createStatement()) { st.execute("CHECKPOINT"); }
        long d = System.nanoTime() - s;
        ckCpu += mx.getCurrentThreadCpuTime() - cpu0;
        ckNanos += d; ckCount++; if (System.getProperty("each") != null) System.out.printf("  ck at %d rows: %.0f ms%n", id, d / 1e6); ckMax = Math.max(ckMax, d);
      }
    }
    System.out.printf("wal %s MB, compression %s: %d checkpoints, total %.2f s (cpu of calling thread %.2f s), max %.0f ms, %.2f us/row; append %.2f us/row, commit %.2f us/row; file %d MB%n",
        a[0], compression, ckCount, ckNanos / 1e9, ckCpu / 1e9, ckMax / 1e6, ckNanos / 1e3 / rows, appendNanos / 1e3 / rows, commitNanos / 1e3 / rows, Files.size(dir.resolve("x.duckdb")) >> 20);
  }
}
