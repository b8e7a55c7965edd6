package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.versioning.DefinitionVersions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * Batch {@code resolveUpdate} on a DuckDB file at 100k and 1M samples (not part of {@code mvn test}).
 * Layout: a root with two fields, a 1:1 child with two fields; 90% of samples have a child row
 * (recorded with another provenance, so stale), 10% are new, plus 1% orphans. Baselines measured
 * in the same run over the same tables: (1) {@code count(*)} of the same full outer join of the
 * latest rows, (2) the Java-fallback resolve query (join only) streamed to Java without hashing,
 * (3) resolveUpdate with the Java fallback ({@code -Dmetaxy.store.javaHash=true}, PostgreSQL's path). Also reports
 * {@code store.write} throughput in sink-sized batches with materialization ids, and a replay.
 *
 * <pre>
 * MAVEN_OPTS="-Xmx6g -XX:+UseParallelGC" mvn -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.metaxy.flink.store.ResolveUpdateBenchmark [-Dexec.args="100000 1000000"]
 * </pre>
 */
public final class ResolveUpdateBenchmark {
    private static final int RUNS = 3;

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {100_000, 1_000_000} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        FeatureGraph graph = TestGraphs.graph("1");
        System.out.printf("%-9s %-38s %10s %10s %10s%n", "samples", "measure", "best ms", "median ms", "rows");
        for (int n : sizes) {
            Path dir = Files.createTempDirectory("mxb");
            Path file = dir.resolve("b.duckdb");
            seed(file, graph, n);
            String url = "duckdb:" + file;
            try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.READ)) {
                Increment inc = store.resolveUpdate(TestGraphs.CHILD);
                String counts = inc.added().size() + " new / " + inc.stale().size() + " stale / " + inc.orphaned().size() + " orphaned";
                time(n, "resolveUpdate (" + counts + ")", () -> {
                    Increment i = store.resolveUpdate(TestGraphs.CHILD);
                    return i.added().size() + i.stale().size() + i.orphaned().size();
                });
                // The Java fallback (PostgreSQL's path): SQL join, hashing and classification in Java.
                String joinSql;
                List<Object> joinParameters;
                System.setProperty("metaxy.store.javaHash", "true");
                try {
                    time(n, "resolveUpdate, Java hashing (fallback)", () -> {
                        Increment i = store.resolveUpdate(TestGraphs.CHILD);
                        return i.added().size() + i.stale().size() + i.orphaned().size();
                    });
                    // The streamed baseline: the join without hashing (and needs no registered function).
                    // Taken now: a lazy increment plans when asked, and the store closes below.
                    LazyIncrement lazy = store.resolveUpdateLazy(TestGraphs.CHILD, ResolveOptions.defaults());
                    joinSql = lazy.sql();
                    joinParameters = lazy.parameters();
                } finally {
                    System.clearProperty("metaxy.store.javaHash");
                }
                store.close();
                try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file)) {
                    time(n, "baseline: same query streamed, no hash", () -> streamOnly(c, joinSql, joinParameters));
                    time(n, "baseline: count(*) of the same join", () -> countJoin(c, graph));
                }
            }
            writeThroughput(file, graph, n);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    interface Measured {
        long run() throws Exception;
    }

    private static void time(int n, String what, Measured body) throws Exception {
        long[] ms = new long[RUNS];
        long rows = 0;
        body.run(); // warm-up: JIT and DuckDB's buffer pool
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            rows = body.run();
            ms[i] = (System.nanoTime() - start) / 1_000_000;
        }
        java.util.Arrays.sort(ms);
        System.out.printf("%-9d %-38s %10d %10d %10d%n", n, what, ms[0], ms[RUNS / 2], rows);
    }

    private static long streamOnly(Connection c, String sql, List<Object> parameters) throws Exception {
        long rows = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                ps.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int col = 1; col <= columns; col++) {
                        rs.getObject(col);
                    }
                    rows++;
                }
            }
        }
        return rows;
    }

    private static long countJoin(Connection c, FeatureGraph graph) throws Exception {
        DefinitionVersions versions = DefinitionVersions.of(graph);
        String latest = "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY sample_uid ORDER BY coalesce(metaxy_deleted_at,"
                + " metaxy_updated_at) DESC) rn FROM %s WHERE metaxy_feature_version = '%s') WHERE rn = 1 AND metaxy_deleted_at IS NULL";
        String sql = "SELECT count(*) FROM (" + latest.formatted("test__video", versions.featureVersion(FeatureKey.of(TestGraphs.VIDEO)))
                + ") v FULL OUTER JOIN (" + latest.formatted("test__child", versions.featureVersion(FeatureKey.of(TestGraphs.CHILD)))
                + ") c USING (sample_uid)";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** store.write in sink-sized batches with materialization ids, then a replay of the last batch (all skipped). */
    private static void writeThroughput(Path file, FeatureGraph graph, int n) throws Exception {
        int total = Math.min(n, 200_000);
        int batch = 10_000;
        try (MetadataStore store = MetadataStores.open("duckdb:" + file, graph, AccessMode.WRITE)) {
            store.drop(TestGraphs.EXTRA);
            List<MetadataRow> last = List.of();
            long start = System.nanoTime();
            for (int from = 0; from < total; from += batch) {
                List<MetadataRow> rows = new java.util.ArrayList<>(batch);
                for (int i = from; i < from + batch; i++) {
                    rows.add(MetadataRow.builder().ids(Map.of("sample_uid", (long) i)).column("path", "s3://b/" + i)
                            .provenanceByField(Map.of("meta", "m" + i)).materializationId("extra/0/" + i).build());
                }
                store.write(TestGraphs.EXTRA, rows, WriteOptions.idempotent());
                last = rows;
            }
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("%-9d %-38s %10d %10s %10d%n", n, "write: " + total / batch + " batches of " + batch, ms, "", total);
            start = System.nanoTime();
            int written = store.write(TestGraphs.EXTRA, last, WriteOptions.idempotent());
            System.out.printf("%-9d %-38s %10d %10s %10d%n", n, "write: replay of one batch (skipped)",
                    (System.nanoTime() - start) / 1_000_000, "", written);
        }
    }

    /** Creates the tables through the store (so the layout is the store's), then bulk-fills them in SQL. */
    private static void seed(Path file, FeatureGraph graph, int n) throws Exception {
        try (MetadataStore store = MetadataStores.open("duckdb:" + file, graph, AccessMode.WRITE)) {
            store.write(TestGraphs.VIDEO, List.of(TestGraphs.video(-1, "a", "f")));
            store.write(TestGraphs.CHILD, List.of(MetadataRow.builder().ids(Map.of("sample_uid", -1L))
                    .provenanceByField(Map.of("audio", "x", "frames", "y")).build()));
        }
        DefinitionVersions versions = DefinitionVersions.of(graph);
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
            st.execute("DELETE FROM test__video");
            st.execute("DELETE FROM test__child");
            // By-field columns are STRUCT(audio VARCHAR, frames VARCHAR); the last two are project/definition version.
            st.execute("INSERT INTO test__video SELECT i, {'audio': 'a' || i, 'frames': 'f' || i}, 'p' || i,"
                    + " {'audio': 'a' || i, 'frames': 'f' || i}, 'd' || i, '" + versions.featureVersion(FeatureKey.of(TestGraphs.VIDEO))
                    + "', now(), now(), NULL, NULL, NULL, NULL FROM range(" + n + ") t(i)");
            st.execute("INSERT INTO test__child SELECT i, {'audio': 'x' || i, 'frames': 'y' || i}, 'c' || i,"
                    + " {'audio': 'x' || i, 'frames': 'y' || i}, 'c' || i, '" + versions.featureVersion(FeatureKey.of(TestGraphs.CHILD))
                    + "', now(), now(), NULL, NULL, NULL, NULL FROM range(" + (n / 100) + ", " + (n + n / 100) + ") t(i) WHERE i % 10 <> 0");
            st.execute("CHECKPOINT");
        }
        System.out.printf("%-9d %-38s %10d%n", n, "(seeding the tables in SQL)", (System.nanoTime() - start) / 1_000_000);
    }
}
