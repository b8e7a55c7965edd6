package io.metaxy.flink.examples;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The runnable store example of docs/metadata-store.md: ingest root samples, ask what {@code example/crop} must
 * compute, "compute" it by writing back the expected provenance, and ask again.
 *
 * <pre>
 * mvn -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.metaxy.flink.examples.StoreQuickstart -Dexec.args="duckdb:quickstart.duckdb"
 * </pre>
 */
public final class StoreQuickstart {
    private StoreQuickstart() {}

    public static void main(String[] args) {
        run(args.length > 0 ? args[0] : "duckdb:quickstart.duckdb", System.out);
    }

    /** Returns the increments of example/crop before and after the write-back. */
    static List<Increment> run(String storeUrl, PrintStream out) {
        FeatureGraph graph = GraphReader.read(Path.of("examples", "overview.yaml"));
        try (MetadataStore store = MetadataStores.open(storeUrl, graph, AccessMode.WRITE)) {
            store.write("example/video", List.of(
                    MetadataRow.builder().ids(Map.of("sample_uid", 1L)).column("path", "s3://bucket/1.mp4")
                            .provenanceByField(Map.of("audio", "a1", "frames", "f1")).build(),
                    MetadataRow.builder().ids(Map.of("sample_uid", 2L)).column("path", "s3://bucket/2.mp4")
                            .provenanceByField(Map.of("audio", "a2", "frames", "f2")).build()));

            Increment todo = store.resolveUpdate("example/crop");
            for (IncrementRow row : todo.added()) {
                out.println("new " + row.ids() + " expected " + row.provenanceByField() + " from " + row.upstream());
                // ... the worker crops the video here, then records the result with the expected provenance:
                store.write("example/crop", List.of(row.toMetadataRow()));
            }
            Increment after = store.resolveUpdate("example/crop");
            out.println("after the write-back: " + after.added().size() + " new, " + after.stale().size() + " stale, "
                    + after.orphaned().size() + " orphaned");
            return List.of(todo, after);
        }
    }
}
