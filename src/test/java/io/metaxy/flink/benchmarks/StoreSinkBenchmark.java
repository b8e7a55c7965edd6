package io.metaxy.flink.benchmarks;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.RawRecord;
import io.metaxy.flink.stream.RowParser;
import io.metaxy.flink.stream.StampedRow;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StoreSinkWriter;
import io.metaxy.flink.stream.StreamPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The store sink's write path, old against new, in one run (not part of {@code mvn test}):
 * {@link StoreSinkWriter} with {@code legacy = true} (buffered {@code store.write(…, idempotent())}:
 * multi-row INSERT, replay check by materialization id, provenance re-hashed) and with the bulk
 * path (DuckDB appender / PostgreSQL COPY, one transaction per "checkpoint", ledger). Input:
 * stamped root rows of the overview graph (example/video: path + two fields), parsed before the
 * clock starts; a "checkpoint" (writer flush) every {@code checkpointRows} rows. Each pass writes
 * into a fresh store; reported: rows/s of the sink alone, best and median of the repetitions,
 * alternating old and new.
 *
 * <pre>
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test
 * java -Xmx2g -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     io.metaxy.flink.benchmarks.StoreSinkBenchmark 200000 3 duckdb postgres-test-server
 * </pre>
 *
 * Arguments: rows per pass, repetitions, then store kinds: {@code duckdb} (fresh temp files),
 * {@code postgres-test-server} (starts the tests' PostgreSQL server, {@code PostgresServer}) and/or
 * a PostgreSQL URL (each pass drops the feature table first and uses a sink id of its own in the ledger).
 */
public final class StoreSinkBenchmark {
    private StoreSinkBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> stores = args.length > 2 ? List.of(args).subList(2, args.length) : List.of("duckdb");
        int checkpointRows = Integer.getInteger("checkpointRows", 50_000);
        FeatureGraph graph = GraphReader.read(Path.of("examples/overview.yaml"));
        StreamPlan plan = StreamPlan.of(graph, "bench.");
        String topic = plan.feature("example/video").topic;
        RowParser parser = new RowParser(plan, RowParser.DEFAULT_MAX_VALUE_BYTES);
        List<StampedRow> input = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            String value = "{\"path\":\"s3://bucket/videos/" + i + ".mp4\",\"metaxy_provenance_by_field\":{\"audio\":\"a" + i
                    + "\",\"frames\":\"f" + (i % 1000) + "\"}}";
            input.add(parser.parse(RawRecord.of(topic, i % 2, i, "{\"sample_uid\":" + i + "}", value)));
        }
        System.out.printf(Locale.ROOT, "rows per pass %,d, checkpoint every %,d rows, %d repetitions%n", rows, checkpointRows, reps);
        for (String kind : stores) {
            if (kind.equals("postgres-test-server")) {
                kind = io.metaxy.flink.store.PostgresServer.get().newDatabase(); // the test suite's throwaway server
            }
            // Warm-up pass of each path (JIT, DuckDB start-up), not reported.
            run(kind, graph, plan, input.subList(0, Math.min(rows, 20_000)), checkpointRows, true);
            run(kind, graph, plan, input.subList(0, Math.min(rows, 20_000)), checkpointRows, false);
            List<Double> old = new ArrayList<>();
            List<Double> bulk = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                old.add(run(kind, graph, plan, input, checkpointRows, true));
                bulk.add(run(kind, graph, plan, input, checkpointRows, false));
            }
            report(kind, "old (store.write, INSERT + replay check)", old);
            report(kind, "new (appender/COPY + ledger)", bulk);
            System.out.printf(Locale.ROOT, "%s: ratio new/old (medians) %.1fx%n", label(kind), median(bulk) / median(old));
        }
    }

    private static double run(String kind, FeatureGraph graph, StreamPlan plan, List<StampedRow> input, int checkpointRows,
            boolean legacy) throws Exception {
        String url;
        Path tmp = null;
        if (kind.equals("duckdb")) {
            tmp = Files.createTempDirectory("mxsinkbench");
            url = "duckdb:" + tmp.resolve("b.duckdb");
        } else {
            url = kind;
            try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.WRITE)) {
                if (store.features().contains(io.metaxy.flink.definitions.FeatureKey.of("example/video"))) {
                    store.drop("example/video");
                }
            }
        }
        try {
            StoreSinkWriter w = new StoreSinkWriter(MetadataStores.open(url, graph, AccessMode.WRITE), plan,
                    StoreSink.DEFAULT_BATCH_SIZE, null, "bench-" + java.util.UUID.randomUUID(), 0, legacy);
            long t0 = System.nanoTime();
            int n = 0;
            for (StampedRow row : input) {
                w.write(row, null);
                if (++n % checkpointRows == 0) {
                    w.flush(false);
                }
            }
            w.flush(true);
            double seconds = (System.nanoTime() - t0) / 1e9;
            w.close();
            if (w.rowsWritten() != input.size()) {
                throw new IllegalStateException("wrote " + w.rowsWritten() + " of " + input.size());
            }
            return input.size() / seconds;
        } finally {
            if (tmp != null) {
                try (var files = Files.walk(tmp)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    private static String label(String kind) {
        return kind.equals("duckdb") ? "duckdb" : "postgresql";
    }

    private static void report(String kind, String path, List<Double> rates) {
        System.out.printf(Locale.ROOT, "%s %s: best %,.0f rows/s, median %,.0f rows/s, all %s%n", label(kind), path,
                rates.stream().mapToDouble(Double::doubleValue).max().orElse(0), median(rates),
                rates.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList());
    }

    private static double median(List<Double> rates) {
        List<Double> s = rates.stream().sorted().toList();
        return s.get(s.size() / 2);
    }
}
