package io.metaxy.flink.store;

import io.metaxy.flink.definitions.FeatureGraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The batch {@code store.write} on DuckDB (not part of {@code mvn test}): N root rows with a user
 * column, in writes of B rows, into a fresh file; rows/s per round, best of R rounds (each round a
 * new file, so every round appends to an empty table the same way).
 *
 * <pre>
 * mvn -q -o exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.metaxy.flink.store.WriteBenchmark \
 *     -Dexec.args="200000 10000 3"
 * </pre>
 */
public final class WriteBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        FeatureGraph graph = TestGraphs.graph("1");
        double best = 0;
        for (int round = 0; round < rounds; round++) {
            Path dir = Files.createTempDirectory("mxwrite");
            try (MetadataStore store = MetadataStores.open("duckdb:" + dir.resolve("w.duckdb"), graph, AccessMode.WRITE)) {
                long t0 = System.nanoTime();
                for (int from = 0; from < n; from += batch) {
                    List<MetadataRow> rows = new ArrayList<>(batch);
                    for (int i = from; i < Math.min(n, from + batch); i++) {
                        rows.add(MetadataRow.builder().ids(Map.of("sample_uid", (long) i))
                                .provenanceByField(Map.of("audio", "a" + i, "frames", "f" + i))
                                .columns(Map.of("path", "s3://bucket/video/" + i + ".mp4")).build());
                    }
                    store.write(TestGraphs.VIDEO, rows);
                }
                double s = (System.nanoTime() - t0) / 1e9;
                long stored = store.read(TestGraphs.VIDEO).size();
                if (stored != n) {
                    throw new IllegalStateException("wrote " + n + " rows, read back " + stored);
                }
                best = Math.max(best, n / s);
                System.out.printf("store.write, %d rows in writes of %d: %.2f s = %.0f rows/s%n", n, batch, s, n / s);
            } finally {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
        System.out.printf("best: %.0f rows/s%n", best);
    }
}
