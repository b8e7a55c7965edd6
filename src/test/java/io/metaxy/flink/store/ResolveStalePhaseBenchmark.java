package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureKey;
import io.metaxy.flink.versioning.DefinitionVersions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * Batch {@code resolveUpdate} in the stale phase (not part of {@code mvn test}): N root
 * samples, each with a child row, 10% of which carry a stale provenance, so 10% of the rows leave
 * the database and the rest are hashed and compared inside it. The child rows get their real
 * provenance from the store's own resolve query (all new at first), written in SQL, so the seeding
 * takes seconds, not a write of N rows through the API. With a third argument {@code new}, the
 * new phase instead: no child rows at all, so all N samples leave the database as new.
 * Each run prints wall time and the process's CPU time (DuckDB's threads included), the fairer
 * figure on a machine shared with other work.
 *
 * <pre>
 * MAVEN_OPTS="-Xmx6g -XX:+UseParallelGC" mvn -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.metaxy.flink.store.ResolveStalePhaseBenchmark [-Dexec.args="1000000 5 [stale|new]"]
 * </pre>
 */
public final class ResolveStalePhaseBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean newPhase = args.length > 2 && args[2].equals("new");
        FeatureGraph graph = TestGraphs.graph("1");
        // -Dbench.keep=DIR: seed into DIR and keep it; a later run with the same DIR reuses it
        // (to compare two builds, or profile the query, on the same file).
        String keep = System.getProperty("bench.keep");
        Path dir = keep != null ? Files.createDirectories(Path.of(keep)) : Files.createTempDirectory("mxstale");
        Path file = dir.resolve("b.duckdb");
        if (!Files.exists(file)) {
            seed(file, graph, n, newPhase);
        }
        measure(file, graph, n, runs);
        if (keep != null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void seed(Path file, FeatureGraph graph, int n, boolean newPhase) throws Exception {
        String featureVersion = DefinitionVersions.of(graph).featureVersion(FeatureKey.of(TestGraphs.CHILD));
        try (MetadataStore store = MetadataStores.open("duckdb:" + file, graph, AccessMode.WRITE)) {
            store.write(TestGraphs.VIDEO, List.of(TestGraphs.video(-1, "a", "f")));
            store.write(TestGraphs.CHILD, List.of(MetadataRow.builder().ids(Map.of("sample_uid", -1L))
                    .provenanceByField(Map.of("audio", "x", "frames", "y")).build()));
            Connection c = connection(store);
            try (Statement st = c.createStatement()) {
                st.execute("DELETE FROM test__video");
                st.execute("DELETE FROM test__child");
                st.execute("INSERT INTO test__video SELECT i, {'audio': 'a' || i, 'frames': 'f' || i}, 'p' || i,"
                        + " {'audio': 'a' || i, 'frames': 'f' || i}, 'd' || i, '"
                        + DefinitionVersions.of(graph).featureVersion(FeatureKey.of(TestGraphs.VIDEO))
                        + "', now(), now(), NULL, NULL, NULL, NULL FROM range(" + n + ") t(i)");
            }
            // Every child new: the query's expected provenance is the child's real one; every tenth is then made stale.
            LazyIncrement all = store.resolveUpdateLazy(TestGraphs.CHILD, ResolveOptions.defaults());
            // The query's hashes come out as numbers (xxhash32 in DuckDB) whose text is the hash.
            String stale = "CASE WHEN r.sample_uid % 10 = 0 THEN 'stale' ELSE ";
            String pf0 = "CAST(r.__pf0 AS VARCHAR)";
            String pf1 = "CAST(r.__pf1 AS VARCHAR)";
            String p = "CAST(r.__p AS VARCHAR)";
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO test__child SELECT r.sample_uid,"
                    + " {'audio': " + stale + pf0 + " END, 'frames': " + pf1 + "}, " + stale + p + " END,"
                    + " {'audio': " + stale + pf0 + " END, 'frames': " + pf1 + "}, " + stale + p + " END, '" + featureVersion
                    + "', now(), now(), NULL, NULL, NULL, NULL FROM (" + all.sql() + ") r")) {
                for (int i = 0; i < all.parameters().size(); i++) {
                    ps.setObject(i + 1, all.parameters().get(i));
                }
                if (!newPhase) {
                    ps.execute();
                }
            }
            try (Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
        }
    }

    private static void measure(Path file, FeatureGraph graph, int n, int runs) throws Exception {
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (MetadataStore store = MetadataStores.open("duckdb:" + file, graph, AccessMode.READ)) {
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                long cpu0 = os.getProcessCpuTime();
                Increment inc = store.resolveUpdate(TestGraphs.CHILD);
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                System.out.printf("resolveUpdate, %d samples: %d new, %d stale in %.2f s = %.0f samples/s (CPU %.2f s)%n", n,
                        inc.added().size(), inc.stale().size(), s, n / s, cpu);
            }
        }
    }

    /** The store's own connection, on which its hash function is registered. */
    private static Connection connection(MetadataStore store) throws Exception {
        java.lang.reflect.Method m = io.metaxy.flink.store.sql.SqlMetadataStore.class.getDeclaredMethod("connection");
        m.setAccessible(true);
        return (Connection) m.invoke(store);
    }
}
