package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.store.ReadOptions;
import io.metaxy.flink.stream.KafkaTestClient.Received;
import io.metaxy.flink.stream.bootstrap.StoreSeedSource;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --bootstrap-from-store} end to end: a DuckDB store written with the batch API for
 * Metaxy's example-expansion (a 1:N feature and its 1:1 child; current, stale and new samples),
 * the job started on empty topics (real broker, MiniCluster, RocksDB, checkpoints, the store sink
 * on the same file) and bootstrapped from the store. Its outstanding increments must equal
 * {@code resolveUpdate} row for row, each announced once (no new-then-retracted flood), nothing
 * seeded may be stored again, and new Kafka input is then followed. A redeploy that adds a feature
 * seeds it with its parents' rows.
 */
class BootstrapFromStoreITCase {
    static final Duration WAIT = Duration.ofSeconds(120);
    static final String RAW = "video/raw";
    static final String CHUNK = "video/chunk";
    static final String FACES = "video/faces";
    static EmbeddedKafka kafka;
    static MiniCluster flink;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        flink = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(IncrementJobKafkaITCase.clusterConfig())
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(4).build());
        flink.start();
    }

    @AfterAll
    static void stop() throws Exception {
        flink.close();
        kafka.close();
    }

    static String expansionText() throws Exception {
        return Files.readString(Path.of("examples/expansion.yaml"));
    }

    /** example-expansion without video/faces: the graph before a redeploy that adds it. */
    static String withoutFaces() throws Exception {
        String text = expansionText();
        return text.substring(0, text.indexOf("  - key: video/faces"));
    }

    static Map<String, String> byField(String audio, String frames) {
        return Map.of("audio", audio, "frames", frames);
    }

    /**
     * Videos 1–3; video 1 chunked (3 chunks) with faces, video 2 chunked (2) and then changed (its
     * chunks stale, its faces never computed: new), video 3 not chunked (new).
     */
    static void writeHistory(String url, FeatureGraph graph, boolean faces) {
        try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.WRITE)) {
            for (int v = 1; v <= 3; v++) {
                store.write(RAW, List.of(MetadataRow.builder().ids(Map.of("video_id", v))
                        .columns(Map.of("path", "video" + v + ".mp4")).provenanceByField(byField("v" + v, "v" + v)).build()));
            }
            int[] chunks = {0, 3, 2};
            for (IncrementRow inc : store.resolveUpdate(CHUNK).added()) {
                int v = ((Number) inc.ids().get("video_id")).intValue();
                if (v > 2) {
                    continue;
                }
                List<MetadataRow> rows = new ArrayList<>();
                for (int i = 0; i < chunks[v]; i++) {
                    rows.add(MetadataRow.builder().ids(Map.of("video_chunk_id", v + "_" + i))
                            .columns(Map.of("video_id", v, "path", "video" + v + ".mp4#" + i))
                            .provenanceByField(inc.provenanceByField()).build());
                }
                store.write(CHUNK, rows);
            }
            if (faces) {
                for (IncrementRow inc : store.resolveUpdate(FACES).added()) {
                    if (inc.ids().get("video_chunk_id").toString().startsWith("1_")) {
                        store.write(FACES, List.of(MetadataRow.builder().ids(inc.ids()).columns(Map.of("num_faces", 2))
                                .provenanceByField(inc.provenanceByField()).build()));
                    }
                }
            }
            store.write(RAW, List.of(MetadataRow.builder().ids(Map.of("video_id", 2))
                    .columns(Map.of("path", "video2.mp4")).provenanceByField(byField("v2-new", "v2-new")).build()));
        }
    }

    /** A job of {@code graphText} on topics under {@code prefix}, bootstrapped from {@code url}, its store sink on it too. */
    final class Job implements AutoCloseable {
        final FeatureGraph graph;
        final StreamPlan plan;
        final String url;
        final JobID id;
        final KafkaTestClient client;

        Job(String graphText, String prefix, String url, String restore) throws Exception {
            this.graph = GraphReader.parse(graphText);
            this.plan = StreamPlan.of(graph, prefix);
            this.url = url;
            kafka.createTopics(plan.allTopics(), 1);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(IncrementJob.configuration(
                    Duration.ofMillis(300), Files.createTempDirectory("mxb").toUri().toString()));
            env.setParallelism(2);
            KafkaConnections io = new KafkaConnections(kafka.bootstrapServers(), plan, prefix + "job");
            new IncrementJob(plan, io.source(), io.incrementSink(), io.deadLetterSink(),
                    StoreSink.withGraphText(url, plan, graphText))
                    .bootstrap(StoreSeedSource.withGraphText(url, plan, graphText)).build(env);
            StreamGraph streamGraph = env.getStreamGraph();
            if (restore != null) {
                // The seed source of the earlier graph has another uid: its (finished) state is left over.
                streamGraph.setSavepointRestoreSettings(IncrementJob.restoreFrom(restore, true, env.getConfiguration()));
            }
            this.id = flink.submitJob(streamGraph).get().getJobID();
            this.client = new KafkaTestClient(kafka.bootstrapServers(), plan.allTopics());
        }

        List<Received> increments(String feature) throws Exception {
            return client.poll().stream().filter(e -> e.topic().equals(plan.feature(feature).incrementsTopic)).toList();
        }

        /**
         * The work outstanding as a worker sees it ({@link io.metaxy.flink.worker.OutstandingWork}):
         * per sample the latest increment, unless retracted or answered by a later row on the
         * feature's topic.
         */
        Map<String, String> outstanding(String feature) throws Exception {
            StreamPlan.Feature f = plan.feature(feature);
            var work = new io.metaxy.flink.worker.OutstandingWork(f.expansion ? f.grain : List.of());
            for (Received e : client.poll()) {
                if (e.topic().equals(f.incrementsTopic)) {
                    work.increment(e.key(), e.json());
                } else if (e.topic().equals(f.topic)) {
                    work.row(e.key(), e.json());
                }
            }
            Map<String, String> out = new TreeMap<>();
            work.outstandingEvents().forEach((key, e) -> out.put(RowParser.canonical(e.get("ids")),
                    MetaxyExamplesITCase.describe(e.get("kind").asText(), e.get("metaxy_provenance"),
                            e.get("recorded_metaxy_provenance"), e.get("upstream"), e.get("members"))));
            return out;
        }

        Map<String, String> fromStore(String feature) {
            Map<String, String> out = new TreeMap<>();
            try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.READ)) {
                Increment inc = store.resolveUpdate(feature);
                for (var entry : Map.of("new", inc.added(), "stale", inc.stale(), "orphaned", inc.orphaned()).entrySet()) {
                    for (IncrementRow row : entry.getValue()) {
                        boolean orphan = entry.getKey().equals("orphaned");
                        out.put(RowParser.canonical(KafkaTestClient.JSON.valueToTree(new TreeMap<>(row.ids()))),
                                MetaxyExamplesITCase.describe(entry.getKey(), KafkaTestClient.JSON.valueToTree(row.provenance()),
                                        KafkaTestClient.JSON.valueToTree(row.recordedProvenance()),
                                        KafkaTestClient.JSON.valueToTree(orphan ? Map.of() : row.upstream()),
                                        KafkaTestClient.JSON.valueToTree(orphan ? Map.of() : row.members())));
                    }
                }
            }
            return out;
        }

        void awaitOutstandingEqualsStore(String feature) {
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
                Map<String, String> store = fromStore(feature);
                assertThat(outstanding(feature)).as("outstanding %s", feature).isEqualTo(store);
            });
        }

        /** Rows of every version, history and tombstones included, per feature. */
        Map<String, Integer> storedRows() {
            Map<String, Integer> out = new TreeMap<>();
            try (MetadataStore store = MetadataStores.open(url, graph, AccessMode.READ)) {
                for (StreamPlan.Feature f : plan.features()) {
                    out.put(f.key, store.read(f.key, ReadOptions.defaults().history(true).includeDeleted(true)
                            .allFeatureVersions(true)).size());
                }
            }
            return out;
        }

        void write(String feature, Map<String, ?> ids, Map<String, ?> value) throws Exception {
            client.send(plan.feature(feature).topic, RowParser.canonical(KafkaTestClient.JSON.valueToTree(ids)),
                    KafkaTestClient.row(new LinkedHashMap<>(value)));
        }

        String stopWithSavepoint(Path dir) throws Exception {
            return flink.stopWithSavepoint(id, dir.toUri().toString(), false, SavepointFormatType.CANONICAL).get();
        }

        @Override
        public void close() throws Exception {
            try {
                if (!flink.getJobStatus(id).get().isGloballyTerminalState()) {
                    flink.cancelJob(id).get();
                }
            } finally {
                client.close();
            }
        }
    }

    @Test
    void bootstrappedJobAnnouncesWhatResolveUpdateSaysThenFollowsKafka(@TempDir Path dir) throws Exception {
        bootstrapsThenFollows("duckdb:" + dir.resolve("store.duckdb"), "boot.");
    }

    /** The production store as the source of the seeds (its read is a cursor, not the whole table). */
    @Test
    void bootstrapsFromPostgreSql() throws Exception {
        bootstrapsThenFollows(io.metaxy.flink.store.PostgresServer.get().newDatabase(), "bootpg.");
    }

    private void bootstrapsThenFollows(String url, String prefix) throws Exception {
        String text = expansionText();
        writeHistory(url, GraphReader.parse(text), true);
        try (Job job = new Job(text, prefix, url, null)) {
            Map<String, Integer> before = job.storedRows();
            assertThat(job.fromStore(CHUNK)).hasSize(2); // video 2 stale, video 3 new
            assertThat(job.fromStore(FACES)).hasSize(2); // video 2's chunks new
            job.awaitOutstandingEqualsStore(CHUNK);
            job.awaitOutstandingEqualsStore(FACES);
            // Each announced once: video 1's current samples, the seeds, caused nothing.
            assertThat(job.increments(CHUNK)).hasSize(2);
            assertThat(job.increments(FACES)).hasSize(2);
            assertThat(job.increments(CHUNK)).extracting(e -> e.json().get("cause").has("bootstrap")).containsOnly(true);
            assertThat(job.storedRows()).as("nothing seeded is stored again").isEqualTo(before);

            // Then new input: a fourth video, and video 3 chunked by its worker through Kafka.
            job.write(RAW, Map.of("video_id", 4), Map.of("path", "video4.mp4",
                    "metaxy_provenance_by_field", byField("v4", "v4")));
            JsonNode chunk3 = job.increments(CHUNK).stream().filter(e -> e.key().equals("{\"video_id\":3}")).findFirst()
                    .orElseThrow().json();
            Object provenance = KafkaTestClient.JSON.treeToValue(chunk3.get("metaxy_provenance_by_field"), Map.class);
            for (int i = 0; i < 2; i++) {
                job.write(CHUNK, Map.of("video_chunk_id", "3_" + i), Map.of("video_id", 3, "path", "video3.mp4#" + i,
                        "metaxy_provenance_by_field", provenance));
            }
            await().atMost(WAIT).until(() -> job.storedRows().get(RAW) == before.get(RAW) + 1
                    && job.storedRows().get(CHUNK) == before.get(CHUNK) + 2);
            job.awaitOutstandingEqualsStore(CHUNK);
            job.awaitOutstandingEqualsStore(FACES);
            assertThat(job.outstanding(CHUNK)).containsOnlyKeys("{\"video_id\":2}", "{\"video_id\":4}");
            assertThat(job.outstanding(FACES)).hasSize(4); // video 2's and video 3's chunks
            assertThat(job.increments(CHUNK)).extracting(e -> e.json().get("kind").asText()).doesNotContain("retracted");
        }
    }

    @Test
    void aRedeployThatAddsAFeatureSeedsItWithItsParentsRows(@TempDir Path dir) throws Exception {
        String url = "duckdb:" + dir.resolve("store.duckdb");
        writeHistory(url, GraphReader.parse(withoutFaces()), false);
        String savepoint;
        try (Job v1 = new Job(withoutFaces(), "redeploy.", url, null)) {
            v1.awaitOutstandingEqualsStore(CHUNK);
            savepoint = v1.stopWithSavepoint(dir.resolve("savepoints"));
        }
        String full = expansionText();
        assertThat(StoreSeedSource.uid(StreamPlan.of(GraphReader.parse(full))))
                .isNotEqualTo(StoreSeedSource.uid(StreamPlan.of(GraphReader.parse(withoutFaces()))));
        try (Job v2 = new Job(full, "redeploy.", url, savepoint)) {
            // Every stored chunk (videos 1 and 2) needs its faces: the new feature starts with its parent's rows.
            assertThat(v2.fromStore(FACES)).hasSize(5);
            v2.awaitOutstandingEqualsStore(FACES);
            v2.awaitOutstandingEqualsStore(CHUNK);
            assertThat(v2.increments(FACES)).hasSize(5);
            savepoint = v2.stopWithSavepoint(dir.resolve("savepoints"));
        }
        // Resumed unchanged: the finished seed source stays finished, nothing is announced again,
        // and new input is evaluated at once.
        try (Job v3 = new Job(full, "redeploy.", url, savepoint)) {
            v3.write(RAW, Map.of("video_id", 9), Map.of("path", "video9.mp4", "metaxy_provenance_by_field", byField("v9", "v9")));
            await().atMost(WAIT).until(() -> v3.outstanding(CHUNK).containsKey("{\"video_id\":9}"));
            v3.awaitOutstandingEqualsStore(CHUNK);
            v3.awaitOutstandingEqualsStore(FACES);
            assertThat(v3.increments(FACES)).hasSize(5);
        }
    }
}
