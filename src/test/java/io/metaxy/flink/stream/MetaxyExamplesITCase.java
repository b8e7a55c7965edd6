package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.KafkaTestClient.Received;
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
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metaxy's own example-expansion and example-aggregation, run as Metaxy's pipelines run them but
 * through the job on the real broker and MiniCluster (RocksDB, checkpoints, exactly-once sinks,
 * the DuckDB store sink on), workers answering on the topics. At every quiet point the stream's
 * outstanding increments equal the store's {@code resolveUpdate} row for row: kind, ids,
 * expected and recorded provenance, upstream columns and N:1 members.
 */
class MetaxyExamplesITCase {
    static final Duration WAIT = Duration.ofSeconds(90);
    static EmbeddedKafka kafka;
    static MiniCluster flink;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        flink = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(IncrementJobKafkaITCase.clusterConfig())
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(2).build());
        flink.start();
    }

    @AfterAll
    static void stop() throws Exception {
        flink.close();
        kafka.close();
    }

    static FeatureGraph expansionGraph() {
        return GraphReader.read(Path.of("examples/expansion.yaml"));
    }

    static FeatureGraph aggregationGraph() {
        return GraphReader.read(Path.of("examples/aggregation.yaml"));
    }

    /** A job on its own topics with the store sink; increments read back as they are committed. */
    final class Pipeline implements AutoCloseable {
        final StreamPlan plan;
        final String storeUrl;
        final FeatureGraph graph;
        final JobID job;
        final KafkaTestClient client;

        Pipeline(FeatureGraph graph, org.apache.flink.util.function.SerializableSupplier<FeatureGraph> reader,
                String prefix, String storeUrl) throws Exception {
            this.graph = graph;
            this.plan = StreamPlan.of(graph, prefix);
            this.storeUrl = storeUrl;
            kafka.createTopics(plan.allTopics(), 1);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(IncrementJob.configuration(
                    Duration.ofMillis(300), Files.createTempDirectory("mxe").toUri().toString()));
            env.setParallelism(1);
            KafkaConnections kafkaIo = new KafkaConnections(kafka.bootstrapServers(), plan, prefix + "job");
            new IncrementJob(plan, kafkaIo.source(), kafkaIo.incrementSink(), kafkaIo.deadLetterSink(),
                    new StoreSink(storeUrl, plan, reader, 7)).build(env);
            this.job = flink.submitJob(env.getStreamGraph()).get().getJobID();
            this.client = new KafkaTestClient(kafka.bootstrapServers(), plan.allTopics());
        }

        void write(String feature, Map<String, ?> ids, Map<String, ?> value) throws Exception {
            Map<String, Object> row = new LinkedHashMap<>(value);
            client.send(plan.feature(feature).topic, RowParser.canonical(KafkaTestClient.JSON.valueToTree(ids)),
                    KafkaTestClient.row(row));
        }

        void delete(String feature, Map<String, ?> ids) throws Exception {
            client.send(plan.feature(feature).topic, RowParser.canonical(KafkaTestClient.JSON.valueToTree(ids)), null);
        }

        List<Received> increments(String feature) throws Exception {
            return client.poll().stream().filter(e -> e.topic().equals(plan.feature(feature).incrementsTopic)).toList();
        }

        /** Waits for the feature's increments topic to hold {@code total} events; returns those after {@code from}. */
        List<Received> awaitIncrements(String feature, int from, int total) throws Exception {
            org.awaitility.Awaitility.await().atMost(WAIT).until(() -> increments(feature).size() >= total);
            List<Received> all = increments(feature);
            assertThat(all).as("increments of %s", feature).hasSize(total);
            return all.subList(from, all.size());
        }

        /**
         * The work outstanding on the topic since {@code from} (the latest event per sample unless
         * retracted) equals the store's resolveUpdate row for row, once the store has caught up.
         */
        void assertOutstandingEqualsStore(String feature, int from) throws Exception {
            // Both sides re-read: the store sink and the increments' transactions commit apart.
            await().atMost(WAIT).untilAsserted(() -> assertThat(fromStore(feature)).isEqualTo(outstanding(feature, from)));
        }

        Map<String, String> outstanding(String feature, int from) throws Exception {
            Map<String, JsonNode> latest = new TreeMap<>();
            List<Received> all = increments(feature);
            for (Received e : all.subList(from, all.size())) {
                latest.put(e.key(), e.json());
            }
            latest.values().removeIf(e -> e.get("kind").asText().equals("retracted"));
            Map<String, String> stream = new TreeMap<>();
            latest.forEach((key, e) -> stream.put(key, describe(e.get("kind").asText(), e.get("metaxy_provenance"),
                    e.get("recorded_metaxy_provenance"), e.get("upstream"), e.get("members"))));
            return stream;
        }

        Map<String, String> fromStore(String feature) {
            Map<String, String> out = new TreeMap<>();
            try (MetadataStore store = MetadataStores.open(storeUrl, graph, AccessMode.READ)) {
                Increment inc = store.resolveUpdate(feature);
                for (var entry : Map.of("new", inc.added(), "stale", inc.stale(), "orphaned", inc.orphaned()).entrySet()) {
                    for (IncrementRow row : entry.getValue()) {
                        boolean orphan = entry.getKey().equals("orphaned");
                        out.put(RowParser.canonical(KafkaTestClient.JSON.valueToTree(new TreeMap<>(row.ids()))),
                                describe(entry.getKey(), KafkaTestClient.JSON.valueToTree(row.provenance()),
                                        KafkaTestClient.JSON.valueToTree(row.recordedProvenance()),
                                        KafkaTestClient.JSON.valueToTree(orphan ? Map.of() : row.upstream()),
                                        KafkaTestClient.JSON.valueToTree(orphan ? Map.of() : row.members())));
                    }
                }
            }
            return out;
        }

        /** Answers each increment as Metaxy's example worker does; {@code rows} makes the rows of one increment. */
        void answer(List<Received> increments, java.util.function.Function<JsonNode, List<Map<String, Object>>> rows)
                throws Exception {
            for (Received e : increments) {
                Object byField = KafkaTestClient.JSON.treeToValue(e.json().get("metaxy_provenance_by_field"), Map.class);
                for (Map<String, Object> row : rows.apply(e.json())) {
                    Map<String, Object> ids = new LinkedHashMap<>();
                    Map<String, Object> value = new LinkedHashMap<>();
                    for (Map.Entry<String, Object> c : row.entrySet()) {
                        (plan.feature(e.json().get("feature").asText()).idColumns.contains(c.getKey()) ? ids : value)
                                .put(c.getKey(), c.getValue());
                    }
                    value.put("metaxy_provenance_by_field", byField);
                    write(e.json().get("feature").asText(), ids, value);
                }
            }
        }

        @Override
        public void close() throws Exception {
            try {
                flink.cancelJob(job).get();
            } finally {
                client.close();
            }
        }
    }

    /** JSON texts normalised (numbers, key order) so a stream event and a store row compare equal. */
    static String describe(String kind, JsonNode provenance, JsonNode recorded, JsonNode upstream, JsonNode members) {
        return kind + " " + text(provenance) + " recorded " + text(recorded) + " upstream " + normal(upstream)
                + " members " + normal(members);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? "null" : n.asText();
    }

    private static String normal(JsonNode n) {
        try {
            return n == null || n.isNull() ? "{}" : RowParser.canonical(KafkaTestClient.JSON.readTree(n.toString()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> byField(String audio, String frames) {
        return Map.of("audio", audio, "frames", frames);
    }

    /**
     * example-expansion: 3 videos → 3 chunk increments (one per video) → the worker splits them
     * into 4, 4 and 3 chunks (11) → 11 face increments; an audio-only change of one video
     * re-chunks it while its faces stay current (faces read the chunks' frames only).
     */
    @Test
    void expansionExample(@TempDir Path dir) throws Exception {
        try (Pipeline p = new Pipeline(expansionGraph(), MetaxyExamplesITCase::expansionGraph, "exp.",
                "duckdb:" + dir.resolve("store.duckdb"))) {
            for (int v = 1; v <= 3; v++) {
                p.write("video/raw", Map.of("video_id", v), Map.of("path", "video" + v + ".mp4",
                        "metaxy_provenance_by_field", byField("v" + v, "v" + v)));
            }
            List<Received> chunks = p.awaitIncrements("video/chunk", 0, 3);
            assertThat(chunks).extracting(e -> e.json().get("kind").asText()).containsOnly("new");
            assertThat(chunks).extracting(Received::key)
                    .containsExactlyInAnyOrder("{\"video_id\":1}", "{\"video_id\":2}", "{\"video_id\":3}");
            p.assertOutstandingEqualsStore("video/chunk", 0);

            int[] perVideo = {0, 4, 4, 3};
            p.answer(chunks, inc -> {
                int video = inc.get("ids").get("video_id").asInt();
                List<Map<String, Object>> rows = new ArrayList<>();
                for (int i = 0; i < perVideo[video]; i++) {
                    rows.add(Map.of("video_chunk_id", video + "_" + i, "video_id", video,
                            "path", inc.get("upstream").get("path").asText() + "#" + i));
                }
                return rows;
            });
            List<Received> faces = p.awaitIncrements("video/faces", 0, 11);
            assertThat(faces).extracting(e -> e.json().get("kind").asText()).containsOnly("new");
            p.assertOutstandingEqualsStore("video/faces", 0);
            p.assertOutstandingEqualsStore("video/chunk", 3);
            p.answer(faces, inc -> List.of(Map.of("video_chunk_id", inc.get("ids").get("video_chunk_id").asText(),
                    "num_faces", 2)));
            p.assertOutstandingEqualsStore("video/faces", 11);

            // An audio-only change of video 2: its chunks are stale (one increment, at the video's
            // grain); re-chunked with the new provenance, the faces stay current.
            p.write("video/raw", Map.of("video_id", 2), Map.of("path", "video2.mp4",
                    "metaxy_provenance_by_field", byField("v2-new-audio", "v2")));
            List<Received> rechunk = p.awaitIncrements("video/chunk", 3, 4);
            assertThat(rechunk).extracting(e -> e.json().get("kind").asText()).containsExactly("stale");
            assertThat(rechunk.get(0).json().get("recorded_metaxy_provenance").asText())
                    .isNotEqualTo(rechunk.get(0).json().get("metaxy_provenance").asText());
            p.assertOutstandingEqualsStore("video/chunk", 3);
            p.answer(rechunk, inc -> {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    rows.add(Map.of("video_chunk_id", "2_" + i, "video_id", 2, "path", "video2.mp4#" + i));
                }
                return rows;
            });
            p.assertOutstandingEqualsStore("video/chunk", 4);
            p.assertOutstandingEqualsStore("video/faces", 11);
            assertThat(p.increments("video/faces")).as("faces stay current").hasSize(11);
        }
    }

    static Map<String, Object> audio(String id, String speaker, String version) {
        return Map.of("audio_id", id, "speaker_id", speaker, "duration_seconds", 30.5, "path", "audio/" + id + ".wav",
                "metaxy_provenance_by_field", Map.of("default", version));
    }

    /**
     * example-aggregation: 4 recordings → 2 speakers, each increment carrying its members; one
     * changed recording → 1 stale speaker; a recording moved to the other speaker → both stale; a
     * deleted recording (a tombstone, ids only) → its speaker stale.
     */
    @Test
    void aggregationExample(@TempDir Path dir) throws Exception {
        String speakers = "speaker/embedding";
        try (Pipeline p = new Pipeline(aggregationGraph(), MetaxyExamplesITCase::aggregationGraph, "agg.",
                "duckdb:" + dir.resolve("store.duckdb"))) {
            for (String[] a : new String[][] {{"a1", "s1"}, {"a2", "s1"}, {"a3", "s2"}, {"a4", "s2"}}) {
                Map<String, Object> row = new LinkedHashMap<>(audio(a[0], a[1], a[0] + "_v1"));
                row.remove("audio_id");
                p.write("audio", Map.of("audio_id", a[0]), row);
            }
            // Each recording's arrival may announce its speaker again: wait for both speakers.
            // (the store's file appears with the sink's first commit)
            org.awaitility.Awaitility.await().ignoreExceptions().atMost(WAIT).until(() -> p.increments(speakers).stream()
                    .map(Received::key).distinct().count() == 2 && p.fromStore(speakers).size() == 2);
            p.assertOutstandingEqualsStore(speakers, 0);
            JsonNode s1 = latest(p, speakers, "{\"speaker_id\":\"s1\"}");
            assertThat(s1.get("kind").asText()).isEqualTo("new");
            assertThat(s1.get("members").get("audio")).extracting(m -> m.get("audio_id").asText()).containsExactly("a1", "a2");
            answerSpeakers(p, speakers);

            int mark = p.increments(speakers).size();
            Map<String, Object> changed = new LinkedHashMap<>(audio("a1", "s1", "a1_v2"));
            changed.remove("audio_id");
            p.write("audio", Map.of("audio_id", "a1"), changed);
            assertThat(p.awaitIncrements(speakers, mark, mark + 1)).extracting(Received::key).containsExactly("{\"speaker_id\":\"s1\"}");
            p.assertOutstandingEqualsStore(speakers, mark);
            answerSpeakers(p, speakers);

            mark = p.increments(speakers).size();
            Map<String, Object> moved = new LinkedHashMap<>(audio("a2", "s2", "a2_v1"));
            moved.remove("audio_id");
            p.write("audio", Map.of("audio_id", "a2"), moved);
            assertThat(p.awaitIncrements(speakers, mark, mark + 2)).extracting(Received::key)
                    .containsExactlyInAnyOrder("{\"speaker_id\":\"s1\"}", "{\"speaker_id\":\"s2\"}");
            p.assertOutstandingEqualsStore(speakers, mark);
            assertThat(latest(p, speakers, "{\"speaker_id\":\"s2\"}").get("members").get("audio"))
                    .extracting(m -> m.get("audio_id").asText()).containsExactly("a2", "a3", "a4");
            answerSpeakers(p, speakers);

            mark = p.increments(speakers).size();
            p.delete("audio", Map.of("audio_id", "a3"));
            assertThat(p.awaitIncrements(speakers, mark, mark + 1)).extracting(Received::key).containsExactly("{\"speaker_id\":\"s2\"}");
            p.assertOutstandingEqualsStore(speakers, mark);
            answerSpeakers(p, speakers);
            p.assertOutstandingEqualsStore(speakers, p.increments(speakers).size());
        }
    }

    static final String FILTERED = """
            features:
              - key: audio
                id_columns: [audio_id]
                fields: [default]
              - key: speaker/embedding
                id_columns: [speaker_id]
                deps:
                  - feature: audio
                    lineage: {type: "N:1", on: [speaker_id]}
                    rename: {path: audio_path}
                    select: [audio_path]
                    filters: ["duration_seconds >= 10"]
                fields: [{key: embedding, code_version: "1"}]
              - key: audio/transcript
                id_columns: [audio_id]
                deps:
                  - feature: audio
                    rename: {path: wav}
                    select: [wav, speaker_id]
                    filters: ["duration_seconds < 60 AND wav IS NOT NULL"]
                fields: [text]
            """;

    static FeatureGraph filteredGraph() {
        return GraphReader.parse(FILTERED);
    }

    /**
     * Dep filters and renames through the job: members and upstream columns are named and
     * selected after rename, rows that stop matching leave their group (or orphan their 1:1
     * child), rows that start matching join it; the stream equals the store row for row.
     */
    @Test
    void filtersAndRenamesAgreeWithTheStore(@TempDir Path dir) throws Exception {
        String speakers = "speaker/embedding";
        String transcripts = "audio/transcript";
        try (Pipeline p = new Pipeline(filteredGraph(), MetaxyExamplesITCase::filteredGraph, "flt.",
                "duckdb:" + dir.resolve("store.duckdb"))) {
            String[][] recordings = {{"a1", "s1", "30"}, {"a2", "s1", "5"}, {"a3", "s2", "90"}, {"a4", "s2", "12"}};
            for (String[] a : recordings) {
                p.write("audio", Map.of("audio_id", a[0]), Map.of("speaker_id", a[1], "duration_seconds",
                        Double.parseDouble(a[2]), "path", a[0] + ".wav", "metaxy_provenance_by_field", Map.of("default", a[0])));
            }
            org.awaitility.Awaitility.await().ignoreExceptions().atMost(WAIT).until(() -> p.fromStore(speakers).size() == 2
                    && p.fromStore(transcripts).size() == 3);
            p.assertOutstandingEqualsStore(speakers, 0);
            p.assertOutstandingEqualsStore(transcripts, 0);
            assertThat(latest(p, speakers, "{\"speaker_id\":\"s1\"}").get("members").get("audio").toString())
                    .as("a2 is too short; members carry the renamed, selected column")
                    .isEqualTo("[{\"audio_id\":\"a1\",\"audio_path\":\"a1.wav\"}]");
            answerSpeakers(p, speakers);
            answerAll(p, transcripts);

            // a2 grows long enough: it joins s1; a3 shrinks below 60 s: its transcript is expected now.
            int speakerMark = p.increments(speakers).size();
            int transcriptMark = p.increments(transcripts).size();
            p.write("audio", Map.of("audio_id", "a2"), Map.of("speaker_id", "s1", "duration_seconds", 20.0,
                    "path", "a2.wav", "metaxy_provenance_by_field", Map.of("default", "a2")));
            p.write("audio", Map.of("audio_id", "a3"), Map.of("speaker_id", "s2", "duration_seconds", 50.0,
                    "path", "a3.wav", "metaxy_provenance_by_field", Map.of("default", "a3")));
            // a4 loses its path: its transcript's filter drops it, orphaning the transcript.
            p.write("audio", Map.of("audio_id", "a4"), Map.of("speaker_id", "s2", "duration_seconds", 12.0,
                    "metaxy_provenance_by_field", Map.of("default", "a4")));
            org.awaitility.Awaitility.await().ignoreExceptions().atMost(WAIT).until(() -> p.fromStore(speakers).size() == 1
                    && p.fromStore(transcripts).size() == 2);
            p.assertOutstandingEqualsStore(speakers, speakerMark);
            p.assertOutstandingEqualsStore(transcripts, transcriptMark);
            assertThat(p.fromStore(transcripts).values()).anyMatch(v -> v.startsWith("orphaned"));
        }
    }

    /** Answers every outstanding new or stale increment of a 1:1 feature and deletes its orphans. */
    private static void answerAll(Pipeline p, String feature) throws Exception {
        Map<String, Received> latest = new TreeMap<>();
        p.increments(feature).forEach(e -> latest.put(e.key(), e));
        List<Received> work = new ArrayList<>();
        for (Received e : latest.values()) {
            String kind = e.json().get("kind").asText();
            if (kind.equals("orphaned")) {
                p.client.send(p.plan.feature(feature).topic, e.key(), null);
            } else if (!kind.equals("retracted")) {
                work.add(e);
            }
        }
        p.answer(work, inc -> {
            Map<String, Object> row = new LinkedHashMap<>();
            inc.get("ids").fields().forEachRemaining(c -> row.put(c.getKey(), c.getValue().asText()));
            return List.of(row);
        });
        await().atMost(WAIT).untilAsserted(() -> assertThat(p.fromStore(feature)).isEmpty());
    }

    private static JsonNode latest(Pipeline p, String feature, String key) throws Exception {
        List<Received> events = p.increments(feature).stream().filter(e -> e.key().equals(key)).toList();
        return events.get(events.size() - 1).json();
    }

    /** The embedding worker: answers each speaker's latest outstanding increment. */
    private static void answerSpeakers(Pipeline p, String feature) throws Exception {
        Map<String, Received> latest = new TreeMap<>();
        p.increments(feature).forEach(e -> latest.put(e.key(), e));
        List<Received> work = latest.values().stream()
                .filter(e -> !e.json().get("kind").asText().equals("retracted") && !e.json().get("metaxy_provenance").isNull())
                .toList();
        p.answer(work, inc -> List.of(Map.of("speaker_id", inc.get("ids").get("speaker_id").asText(),
                "n_dim", 4, "path", "emb/" + inc.get("ids").get("speaker_id").asText())));
        // Answered: the store says nothing is left for them.
        await().atMost(WAIT).untilAsserted(() -> assertThat(p.fromStore(feature)).isEmpty());
    }
}
