package io.metaxy.flink.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.stream.KafkaTestClient.Received;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureSpec;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole job on a Flink MiniCluster (RocksDB, checkpoints, exactly-once Kafka sinks) against
 * a real in-process broker; one broker and one MiniCluster for the class, a topic prefix per test.
 */
class IncrementJobKafkaITCase {
    static final Duration WAIT = Duration.ofSeconds(60);

    static EmbeddedKafka kafka;
    static MiniCluster flink;
    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    static Configuration clusterConfig() {
        Configuration c = new Configuration();
        c.setString("state.backend.type", "rocksdb");
        // Any free port for the REST endpoint: another test JVM (or a running job) may hold 8081.
        c.setString("rest.bind-port", "0");
        return METRICS.addToConfiguration(c);
    }

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        // Started by hand: Flink's JUnit 5 MiniClusterExtension still needs JUnit 4 on the classpath.
        flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(clusterConfig())
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(2).build());
        flink.start();
    }

    @AfterAll
    static void stop() throws Exception {
        flink.close();
        kafka.close();
    }

    /** A running job on its own topics. */
    record Running(StreamPlan plan, JobID job, KafkaTestClient client) implements AutoCloseable {
        String incrementsOf(String feature) {
            return plan.feature(feature).incrementsTopic;
        }

        String topicOf(String feature) {
            return plan.feature(feature).topic;
        }

        @Override
        public void close() throws Exception {
            try {
                if (!flink.getJobStatus(job).get().isGloballyTerminalState()) {
                    flink.cancelJob(job).get();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                // A stop-with-savepoint can finish the job between the status check and the cancel.
                if (!flink.getJobStatus(job).get().isGloballyTerminalState()) {
                    throw e;
                }
            } finally {
                client.close();
            }
        }
    }

    static Running start(String prefix, MapFunction<RawRecord, RawRecord> tap) throws Exception {
        return start(HarnessDriver.overview(1), prefix, tap, null);
    }

    static Running start(FeatureGraph graph, String prefix, MapFunction<RawRecord, RawRecord> tap, String savepoint)
            throws Exception {
        return start(graph, prefix, tap, savepoint, 1);
    }

    static Running start(FeatureGraph graph, String prefix, MapFunction<RawRecord, RawRecord> tap, String savepoint,
            int parallelism) throws Exception {
        return start(graph, prefix, tap, savepoint, parallelism, null);
    }

    /** {@code storeUrl} non-null wires the store sink (small batches, so rows reach the store between checkpoints). */
    static Running start(FeatureGraph graph, String prefix, MapFunction<RawRecord, RawRecord> tap, String savepoint,
            int parallelism, String storeUrl) throws Exception {
        StreamPlan plan = StreamPlan.of(graph, prefix);
        kafka.createTopics(plan.allTopics(), parallelism);
        Path checkpoints = Files.createTempDirectory("mxc");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                IncrementJob.configuration(Duration.ofMillis(300), checkpoints.toUri().toString()));
        env.setParallelism(parallelism);
        KafkaConnections connections = new KafkaConnections(kafka.bootstrapServers(), plan, prefix + "job");
        StoreSink storeSink = storeUrl == null ? null
                : new StoreSink(storeUrl, plan, IncrementDifferentialProperties::graph, 7);
        IncrementJob job = new IncrementJob(plan, connections.source(), connections.incrementSink(),
                connections.deadLetterSink(), storeSink);
        DataStream<RawRecord> input = env.fromSource(connections.source(), WatermarkStrategy.noWatermarks(), "topics")
                .uid(IncrementJob.UID_SOURCE);
        job.attach(tap == null ? input : input.map(tap).uid("test-failure-injection"));
        StreamGraph streamGraph = env.getStreamGraph();
        if (savepoint != null) {
            streamGraph.setSavepointRestoreSettings(IncrementJob.restoreFrom(savepoint, false, env.getConfiguration()));
        }
        JobID client = flink.submitJob(streamGraph).get().getJobID();
        List<String> read = new ArrayList<>(plan.allTopics());
        return new Running(plan, client, new KafkaTestClient(kafka.bootstrapServers(), read, parallelism));
    }

    static String videoRow(int id, String audio) throws Exception {
        return KafkaTestClient.row(Map.of("path", "v" + id + ".mp4",
                "metaxy_provenance_by_field", Map.of("audio", audio, "frames", "f1")));
    }

    static String answerTo(Received increment) throws Exception {
        return KafkaTestClient.row(Map.of("metaxy_provenance_by_field",
                KafkaTestClient.JSON.treeToValue(increment.json().get("metaxy_provenance_by_field"), Map.class)));
    }

    @Test
    void cascadesThroughTheOverviewGraph() throws Exception {
        try (Running r = start("c.", null)) {
            for (int id = 1; id <= 3; id++) {
                r.client().send(r.topicOf("example/video"), HarnessDriver.ids(id), videoRow(id, "a1"));
            }
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop"), "new").size() == 3
                    && r.client().on(r.incrementsOf("example/stt"), "new").size() == 3);
            assertThat(r.client().on(r.incrementsOf("example/face_detection"))).isEmpty();
            Received first = r.client().on(r.incrementsOf("example/crop")).get(0);
            assertThat(first.json().get("upstream").get("path").asText()).startsWith("v");
            for (Received crop : r.client().on(r.incrementsOf("example/crop"))) {
                r.client().send(r.topicOf("example/crop"), crop.key(), answerTo(crop));
            }
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/face_detection"), "new").size() == 3);
            // An audio-only change reaches crop and stt, never face_detection.
            r.client().send(r.topicOf("example/video"), HarnessDriver.ids(1), videoRow(1, "a2"));
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop"), "stale").size() == 1
                    && r.client().on(r.incrementsOf("example/stt"), "new").size() == 4);
            Received stale = r.client().on(r.incrementsOf("example/crop"), "stale").get(0);
            r.client().send(r.topicOf("example/crop"), stale.key(), answerTo(stale));
            r.client().send(r.topicOf("example/video"), HarnessDriver.ids(9), videoRow(9, "a1"));
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop"), "new").size() == 4);
            assertThat(r.client().on(r.incrementsOf("example/face_detection"))).hasSize(3);
        }
    }

    /** One job's feature topics, with every accepted record kept for the batch oracle and the store. */
    record Scenario(Running r, RowParser parser, List<StampedRow> accepted) {
        void send(String feature, int id, String value) throws Exception {
            IncrementJobKafkaITCase.send(r, parser, accepted, r.topicOf(feature), HarnessDriver.ids(id), value);
        }

        void write(String feature, int id, Map<String, ?> value) throws Exception {
            send(feature, id, KafkaTestClient.row(value));
        }

        /** The increments of the sample so far, oldest first. */
        List<Received> events(String feature, int id) throws Exception {
            return r.client().on(r.incrementsOf(feature)).stream()
                    .filter(e -> e.key().equals(HarnessDriver.ids(id))).toList();
        }

        /** Waits for the sample's next increments and returns their kinds. */
        List<String> awaitNext(String feature, int id, int seenBefore, int expected) throws Exception {
            await().atMost(WAIT).until(() -> events(feature, id).size() >= seenBefore + expected);
            return events(feature, id).subList(seenBefore, events(feature, id).size()).stream()
                    .map(e -> e.json().get("kind").asText()).toList();
        }

        /** Answers the sample's latest increment as a worker does, with optional extra columns. */
        void answer(String feature, int id, Map<String, ?> extra) throws Exception {
            List<Received> events = events(feature, id);
            Map<String, Object> value = new java.util.LinkedHashMap<>(extra);
            value.put("metaxy_provenance_by_field", KafkaTestClient.JSON.treeToValue(
                    events.get(events.size() - 1).json().get("metaxy_provenance_by_field"), Map.class));
            write(feature, id, value);
        }
    }

    /**
     * The Metaxy example scenarios on the real broker and MiniCluster (RocksDB, checkpoints,
     * exactly-once sinks, store sink on): new → written → quiet; an audio-only change reaching
     * crop and stt but not face_detection; a hard delete orphaning; a soft delete and the
     * unchanged return retracting; an optional parent missing; a data version override stopping
     * propagation. (A code_version bump is the savepoint test's.) At the end the outstanding
     * increments equal a batch resolve and the store's resolveUpdate.
     */
    @Test
    void metaxyExampleScenarios(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String storeUrl = "duckdb:" + dir.resolve("store.duckdb");
        FeatureGraph graph = IncrementDifferentialProperties.graph();
        String video = "example/video";
        String crop = "example/crop";
        String stt = "example/stt";
        String faces = "example/face_detection";
        String summary = "example/summary";
        try (Running r = start(graph, "x.", null, null, 1, storeUrl)) {
            Scenario s = new Scenario(r, new RowParser(r.plan(), RowParser.DEFAULT_MAX_VALUE_BYTES), new ArrayList<>());

            // new → written → quiet
            s.send(video, 1, videoRow(1, "a1"));
            assertThat(s.awaitNext(crop, 1, 0, 1)).containsExactly("new");
            assertThat(s.awaitNext(stt, 1, 0, 1)).containsExactly("new");
            s.answer(crop, 1, Map.of());
            assertThat(s.awaitNext(faces, 1, 0, 1)).containsExactly("new");
            s.answer(faces, 1, Map.of());
            s.answer(stt, 1, Map.of());
            assertThat(s.awaitNext(summary, 1, 0, 1)).containsExactly("new");
            s.answer(summary, 1, Map.of());

            // An audio-only change: crop and stt are stale, face_detection (frames only) is not asked.
            s.send(video, 1, videoRow(1, "a2"));
            assertThat(s.awaitNext(crop, 1, 1, 1)).containsExactly("stale");
            assertThat(s.awaitNext(stt, 1, 1, 1)).containsExactly("stale");
            s.answer(crop, 1, Map.of());
            s.answer(stt, 1, Map.of());
            assertThat(s.awaitNext(summary, 1, 1, 1)).containsExactly("stale");
            s.answer(summary, 1, Map.of());

            // A hard delete orphans the children; deleting them answers it and orphans theirs.
            s.send(video, 2, videoRow(2, "a1"));
            s.awaitNext(crop, 2, 0, 1);
            s.answer(crop, 2, Map.of());
            s.send(video, 2, null);
            assertThat(s.awaitNext(crop, 2, 1, 1)).containsExactly("orphaned");
            assertThat(s.awaitNext(stt, 2, 1, 1)).containsExactly("retracted");
            s.send(crop, 2, null);
            assertThat(s.awaitNext(faces, 2, 1, 1)).containsExactly("retracted");

            // A soft delete orphans; the sample returning unchanged retracts the orphan.
            s.send(video, 3, videoRow(3, "a1"));
            s.awaitNext(crop, 3, 0, 1);
            s.answer(crop, 3, Map.of());
            s.send(video, 3, "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\"}");
            assertThat(s.awaitNext(crop, 3, 1, 1)).containsExactly("orphaned");
            s.send(video, 3, videoRow(3, "a1"));
            assertThat(s.awaitNext(crop, 3, 2, 1)).containsExactly("retracted");

            // The optional parent missing contributes "": summary is asked for before face_detection exists.
            s.send(video, 4, videoRow(4, "a1"));
            s.awaitNext(stt, 4, 0, 1);
            s.answer(stt, 4, Map.of());
            assertThat(s.awaitNext(summary, 4, 0, 1)).containsExactly("new");
            StreamPlan.Feature summaryPlan = r.plan().feature(summary);
            StampedRow sttRow = s.accepted().stream().filter(w -> w.feature.equals(stt) && w.idsJson().equals(HarnessDriver.ids(4)))
                    .reduce((a, b) -> b).orElseThrow();
            String[] byField = summaryPlan.calculator.provenanceByField(
                    summaryPlan.rules.slotValues(new String[][] {sttRow.dataVersionByField, null}));
            assertThat(s.events(summary, 4).get(0).json().get("metaxy_provenance").asText())
                    .isEqualTo(summaryPlan.calculator.provenance(byField));
            s.answer(crop, 4, Map.of());
            s.awaitNext(faces, 4, 0, 1);
            s.answer(faces, 4, Map.of());
            assertThat(s.awaitNext(summary, 4, 1, 1)).as("face_detection arrived: a new expectation").containsExactly("new");

            // A data version override stops propagation: the recomputed crop hashes to the same content.
            Map<String, Object> override = Map.of("metaxy_data_version_by_field", Map.of("audio", "ca", "frames", "content"));
            s.send(video, 5, videoRow(5, "a1"));
            s.awaitNext(crop, 5, 0, 1);
            s.answer(crop, 5, override);
            s.awaitNext(faces, 5, 0, 1);
            s.answer(faces, 5, Map.of());
            s.send(video, 5, KafkaTestClient.row(Map.of("path", "v5.mp4",
                    "metaxy_provenance_by_field", Map.of("audio", "a1", "frames", "f2"))));
            assertThat(s.awaitNext(crop, 5, 1, 1)).containsExactly("stale");
            s.answer(crop, 5, override);

            awaitQuiet(r, s.accepted().size());
            assertThat(s.events(faces, 5)).as("face_detection is not asked again").hasSize(1);
            assertThat(s.events(faces, 1)).hasSize(1);
            Map<String, String> outstanding = outstandingOf(r, s.accepted());
            assertThat(outstanding).isEqualTo(BatchOracle.resolveAll(r.plan(), s.accepted()))
                    .containsOnlyKeys(stt + " " + HarnessDriver.ids(3), faces + " " + HarnessDriver.ids(3),
                            summary + " " + HarnessDriver.ids(4), stt + " " + HarnessDriver.ids(5));
            assertStoreAgrees(r.plan(), storeUrl, outstanding, s.accepted());

            // The job's metrics say the same.
            Map<String, Long> emitted = new java.util.TreeMap<>();
            for (Received e : r.client().poll()) {
                if (e.topic().endsWith(".increments")) {
                    emitted.merge(e.json().get("feature").asText() + " " + e.json().get("kind").asText(), 1L, Long::sum);
                }
            }
            assertThat(counters(r, "metaxyIncrementsEmitted")).isEqualTo(emitted);
            assertThat(sum(counters(r, "metaxyRecordsIn"))).isEqualTo(s.accepted().size());
            assertThat(sum(counters(r, "metaxyDeadLetters"))).isZero();
            assertThat(sum(counters(r, "metaxyOutstandingIncrements"))).isEqualTo(outstanding.size());
        }
    }

    /** The job's metrics of that name, by "feature kind" where they have those groups, else by identifier. */
    static Map<String, Long> counters(Running r, String name) {
        Map<String, Long> out = new java.util.TreeMap<>();
        METRICS.findMetrics(r.job(), name).forEach((id, metric) -> {
            long value = metric instanceof org.apache.flink.metrics.Counter c ? c.getCount()
                    : ((Number) ((org.apache.flink.metrics.Gauge<?>) metric).getValue()).longValue();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.feature\\.(.+)\\.kind\\.(\\w+)\\.").matcher(id);
            out.merge(m.find() ? m.group(1) + " " + m.group(2) : id, value, Long::sum);
        });
        return out;
    }

    static long sum(Map<String, Long> values) {
        return values.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void malformedInputGoesToTheDeadLetterTopicAndTheJobKeepsRunning() throws Exception {
        try (Running r = start("m.", null)) {
            String video = r.topicOf("example/video");
            r.client().send(video, HarnessDriver.ids(1), "this is not json");
            r.client().send(video, "{}", videoRow(1, "a1"));
            r.client().send(video, "{\"sample_uid\":[1]}", videoRow(1, "a1"));
            r.client().send(video, HarnessDriver.ids(1), "{\"metaxy_provenance_by_field\":{\"audio\":1,\"frames\":\"f\"}}");
            r.client().send(video, HarnessDriver.ids(1),
                    "{\"metaxy_provenance_by_field\":{\"audio\":\"a\",\"frames\":\"f\"},\"metaxy_colour\":\"red\"}");
            r.client().send(video, HarnessDriver.ids(1),
                    "{\"metaxy_provenance_by_field\":{\"audio\":\"a\",\"frames\":\"f\",\"smell\":\"x\"}}");
            r.client().send(video, HarnessDriver.ids(1), KafkaTestClient.row(Map.of("blob", "x".repeat(300_000),
                    "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
            r.client().send(video, HarnessDriver.ids(2), videoRow(2, "a1"));
            String dlq = r.plan().deadLetterTopic();
            await().atMost(WAIT).until(() -> r.client().on(dlq).size() == 7
                    && r.client().on(r.incrementsOf("example/crop")).size() == 1);
            List<String> reasons = r.client().on(dlq).stream().map(d -> d.json().get("reason").asText()).toList();
            assertThat(reasons.get(0)).contains("example/video").contains("value is not JSON");
            assertThat(reasons.get(1)).contains("id column 'sample_uid' is missing");
            assertThat(reasons.get(2)).contains("id column 'sample_uid' must be a string or an integer");
            assertThat(reasons.get(3)).contains("metaxy_provenance_by_field").contains("'audio'").contains("non-empty string");
            assertThat(reasons.get(4)).contains("unknown system column 'metaxy_colour'");
            assertThat(reasons.get(5)).contains("unknown field 'smell'");
            assertThat(reasons.get(6)).contains("exceeds the limit");
            Received first = r.client().on(dlq).get(0);
            assertThat(first.json().get("topic").asText()).isEqualTo(video);
            assertThat(first.json().get("partition").asInt()).isZero();
            assertThat(first.json().get("offset").asLong()).isZero();
            assertThat(flink.getJobStatus(r.job()).get().isGloballyTerminalState()).isFalse();
        }
    }

    @Test
    void redeployingChangedDefinitionsFromASavepointReannouncesOnlyTheChangedFeature() throws Exception {
        FeatureGraph v1 = HarnessDriver.overview(1);
        String savepoint;
        try (Running r = start(v1, "s.", null, null)) {
            for (int id = 1; id <= 3; id++) {
                r.client().send(r.topicOf("example/video"), HarnessDriver.ids(id), videoRow(id, "a1"));
            }
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/stt")).size() == 3
                    && r.client().on(r.incrementsOf("example/crop")).size() == 3);
            savepoint = flink.stopWithSavepoint(r.job(), Files.createTempDirectory("mxs").toUri().toString(), false,
                    SavepointFormatType.CANONICAL).get();
        }
        FeatureSpec stt = v1.spec("example/stt");
        FeatureSpec.Builder bumped = FeatureSpec.builder(stt.key()).idColumns(stt.idColumns());
        stt.deps().forEach(bumped::dep);
        stt.fields().forEach(f -> bumped.field(f.withCodeVersion("2")));
        try (Running r = start(v1.with(bumped.build()), "s.", null, savepoint)) {
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/stt")).size() == 6);
            List<Received> redeployed = r.client().on(r.incrementsOf("example/stt")).subList(3, 6);
            assertThat(redeployed).allSatisfy(e -> {
                assertThat(e.json().get("kind").asText()).isEqualTo("new");
                assertThat(e.json().get("cause").has("redeploy")).isTrue();
                assertThat(e.json().get("feature_version").asText()).isNotEqualTo("d953dea4");
            });
            // End marker: a new video after the redeploy. Its crop increment is committed after any
            // redeploy work of crop would have been, so crop has exactly it and the three before.
            r.client().send(r.topicOf("example/video"), HarnessDriver.ids(99), videoRow(99, "a1"));
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop")).stream()
                    .anyMatch(e -> e.key().equals(HarnessDriver.ids(99))));
            assertThat(r.client().on(r.incrementsOf("example/crop"))).hasSize(4)
                    .noneMatch(e -> e.json().get("cause").has("redeploy"));
        }
    }

    @Test
    void outstandingIncrementsEqualBatchResolveAfterRandomTraffic() throws Exception {
        differential("d.", 2, 2, 40, 11L);
    }

    @Test
    @Tag("slow")
    void soakOutstandingIncrementsEqualBatchResolve() throws Exception {
        differential("soak.", 2, 40, 200, 29L);
    }

    /**
     * Random root writes, soft and hard deletes, and workers answering (rightly, wrongly, or by
     * deleting) what the increments topics say, through the real job with two subtasks. At
     * quiescence the changelog's outstanding work equals a batch resolve over every accepted row.
     */
    static void differential(String prefix, int parallelism, int rounds, int opsPerRound, long seed) throws Exception {
        differential(prefix, parallelism, rounds, opsPerRound, seed, null, null);
    }

    /**
     * With {@code storeUrl}, the store sink is wired too, and at quiescence the outstanding work
     * must also equal the store's own {@code resolveUpdate} for every non-root feature, and the
     * store must hold each accepted record once.
     */
    static void differential(String prefix, int parallelism, int rounds, int opsPerRound, long seed,
            MapFunction<RawRecord, RawRecord> tap, String storeUrl) throws Exception {
        StreamPlan plan = StreamPlan.of(IncrementDifferentialProperties.graph(), prefix);
        RowParser parser = new RowParser(plan, RowParser.DEFAULT_MAX_VALUE_BYTES);
        java.util.Random random = new java.util.Random(seed);
        List<StampedRow> accepted = new ArrayList<>();
        try (Running r = start(IncrementDifferentialProperties.graph(), prefix, tap, null, parallelism, storeUrl)) {
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < opsPerRound; i++) {
                    String ids = HarnessDriver.ids(random.nextInt(30));
                    int op = random.nextInt(10);
                    String value = op == 0 ? null : op == 1 ? "{\"metaxy_deleted_at\":\"2026-01-01T00:00:00Z\"}"
                            : KafkaTestClient.row(Map.of("path", "v.mp4", "metaxy_provenance_by_field",
                                    Map.of("audio", "a" + random.nextInt(3), "frames", "f" + random.nextInt(2))));
                    send(r, parser, accepted, r.topicOf("example/video"), ids, value);
                }
                awaitQuiet(r, accepted.size());
                for (Map.Entry<String, Received> latest : latestEvents(r).entrySet()) {
                    Received e = latest.getValue();
                    String feature = e.json().get("feature").asText();
                    int choice = random.nextInt(10);
                    if (choice < 6 && e.json().get("metaxy_provenance_by_field").isObject()) {
                        String answer = answerTo(e);
                        if (feature.equals("example/crop") && choice < 2) {
                            // A content hash as data version: unchanged frames stop at crop.
                            Map<String, Object> row = new java.util.LinkedHashMap<>(KafkaTestClient.JSON.readValue(answer, Map.class));
                            row.put("metaxy_data_version_by_field", Map.of("audio", "ca", "frames", "cf" + random.nextInt(2)));
                            answer = KafkaTestClient.row(row);
                        }
                        send(r, parser, accepted, r.topicOf(feature), e.key(), answer);
                    } else if (choice < 7 || e.json().get("kind").asText().equals("orphaned") && choice < 9) {
                        send(r, parser, accepted, r.topicOf(feature), e.key(), null);
                    } else if (choice < 8) {
                        Map<String, String> bogus = new java.util.HashMap<>();
                        r.plan().feature(feature).fields.forEach(f -> bogus.put(f, "w" + random.nextInt(2)));
                        send(r, parser, accepted, r.topicOf(feature), e.key(),
                                KafkaTestClient.row(Map.of("metaxy_provenance_by_field", bogus)));
                    }
                }
                awaitQuiet(r, accepted.size());
            }
            Map<String, String> outstanding = outstandingOf(r, accepted);
            assertThat(outstanding).isEqualTo(BatchOracle.resolveAll(r.plan(), accepted));
            assertThat(outstanding).isNotEmpty();
            if (storeUrl != null) {
                assertStoreAgrees(r.plan(), storeUrl, outstanding, accepted);
            }
        }
    }

    /**
     * Outstanding work read off the increments topics as a consumer would: per sample the latest
     * event, unless retracted or answered by the sample's current row (its provenance, or no row
     * for an orphan).
     */
    static Map<String, String> outstandingOf(Running r, List<StampedRow> accepted) throws Exception {
        Map<String, Map<String, StampedRow>> current = BatchOracle.currentRows(r.plan(), accepted);
        Map<String, String> outstanding = new java.util.TreeMap<>();
        for (Map.Entry<String, Received> latest : latestEvents(r).entrySet()) {
            Received e = latest.getValue();
            String kind = e.json().get("kind").asText();
            String feature = e.json().get("feature").asText();
            StampedRow recorded = current.getOrDefault(feature, Map.of()).get(e.key());
            String expected = e.json().get("metaxy_provenance").isNull() ? null : e.json().get("metaxy_provenance").asText();
            boolean answered = kind.equals("orphaned") ? recorded == null
                    : recorded != null && recorded.provenance.equals(expected);
            if (!kind.equals("retracted") && !answered) {
                outstanding.put(latest.getKey(), kind + " " + expected);
            }
        }
        return outstanding;
    }

    /**
     * The design's contract on the real store: the stream's outstanding increments equal
     * {@code store.resolveUpdate(feature)} for every non-root feature; and the store holds each
     * accepted record once (no replay duplicates), exactly the rows an in-order replay of the
     * accepted records leaves (hard deletes remove, soft deletes tombstone the visible row).
     */
    static void assertStoreAgrees(StreamPlan plan, String storeUrl, Map<String, String> outstanding,
            List<StampedRow> accepted) throws Exception {
        Map<String, String> fromStore = new java.util.TreeMap<>();
        Map<String, List<String>> expectedHistory = new java.util.TreeMap<>();
        for (StampedRow w : accepted) {
            List<String> rows = expectedHistory.computeIfAbsent(w.feature + " " + w.idsJson(), k -> new ArrayList<>());
            if (w.op == RowOp.HARD_DELETE) {
                rows.clear();
            } else if (w.op == RowOp.UPSERT) {
                rows.add(w.provenance);
            } else if (!rows.isEmpty() && !rows.get(rows.size() - 1).startsWith("deleted ")) {
                rows.add("deleted " + rows.get(rows.size() - 1));
            }
        }
        expectedHistory.values().removeIf(List::isEmpty);
        Map<String, List<String>> storedHistory = new java.util.TreeMap<>();
        try (io.metaxy.flink.store.MetadataStore store = io.metaxy.flink.store.MetadataStores.open(storeUrl,
                IncrementDifferentialProperties.graph(), io.metaxy.flink.store.AccessMode.READ)) {
            for (StreamPlan.Feature f : plan.features()) {
                List<io.metaxy.flink.store.MetadataRow> history = store.read(f.key, io.metaxy.flink.store.ReadOptions.defaults()
                        .history(true).includeDeleted(true).allFeatureVersions(true));
                assertThat(history).extracting(io.metaxy.flink.store.MetadataRow::materializationId)
                        .as("each source record stored once in %s", f.key).doesNotHaveDuplicates().doesNotContainNull();
                for (io.metaxy.flink.store.MetadataRow row : history) {
                    storedHistory.computeIfAbsent(f.key + " " + idsJson(row.ids()), k -> new ArrayList<>())
                            .add((row.deletedAt() != null ? "deleted " : "") + row.provenance());
                }
                if (f.isRoot()) {
                    continue;
                }
                io.metaxy.flink.store.Increment inc = store.resolveUpdate(f.key);
                inc.added().forEach(x -> fromStore.put(f.key + " " + idsJson(x.ids()), "new " + x.provenance()));
                inc.stale().forEach(x -> fromStore.put(f.key + " " + idsJson(x.ids()), "stale " + x.provenance()));
                inc.orphaned().forEach(x -> fromStore.put(f.key + " " + idsJson(x.ids()), "orphaned null"));
            }
        }
        assertThat(fromStore).as("store.resolveUpdate vs the stream's outstanding increments").isEqualTo(outstanding);
        assertThat(storedHistory).as("rows in the store vs the accepted records").isEqualTo(expectedHistory);
    }

    static String idsJson(Map<String, Object> ids) {
        try {
            return KafkaTestClient.JSON.writeValueAsString(new java.util.TreeMap<>(ids));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void outstandingIncrementsEqualTheStoresResolveUpdate(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        differential("ds.", 2, 2, 40, 11L, null, "duckdb:" + dir.resolve("store.duckdb"));
    }

    @Test
    void afterRecoveryTheStoreHasNoDuplicatesAndStillAgreesWithTheStream(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        StoreFailOnce.reset(45);
        differential("dr.", 2, 2, 40, 13L, new StoreFailOnce(), "duckdb:" + dir.resolve("store.duckdb"));
        assertThat(StoreFailOnce.FAILED).isTrue();
    }

    @Test
    void outstandingIncrementsEqualTheStoresResolveUpdateOnPostgres() throws Exception {
        differential("dp.", 2, 2, 40, 17L, null, io.metaxy.flink.store.PostgresServer.get().newDatabase());
    }

    /** Fails the job once, on the n-th record (counted from the start). */
    static final class StoreFailOnce implements MapFunction<RawRecord, RawRecord> {
        static final AtomicInteger SEEN = new AtomicInteger();
        static final AtomicBoolean FAILED = new AtomicBoolean();
        static volatile int n;

        static void reset(int at) {
            n = at;
            SEEN.set(0);
            FAILED.set(false);
        }

        @Override
        public RawRecord map(RawRecord value) {
            if (SEEN.incrementAndGet() == n && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after " + n + " records");
            }
            return value;
        }
    }

    private static void send(Running r, RowParser parser, List<StampedRow> accepted, String topic, String key, String value)
            throws Exception {
        r.client().send(topic, key, value);
        accepted.add(parser.parse(RawRecord.of(topic, 0, accepted.size(), key, value)));
    }

    /** Latest increment per (feature, ids) in topic order (one key always lands in one partition). */
    private static Map<String, Received> latestEvents(Running r) throws Exception {
        Map<String, Received> latest = new java.util.LinkedHashMap<>();
        for (Received e : r.client().poll()) {
            if (e.topic().endsWith(".increments")) {
                latest.put(e.json().get("feature").asText() + " " + e.key(), e);
            }
        }
        return latest;
    }

    /**
     * Quiet: the job has taken in every record sent so far ({@code sent}) and its outputs are
     * committed. Taken in: its metaxyRecordsIn counter (counted where records are parsed) reaches
     * {@code sent}; after a restart that counter starts again from the restored checkpoint, so then
     * the source's committed offsets must reach the topics' end instead (it commits them when a
     * checkpoint completes; slower, as the source commits lazily). Committed: a checkpoint
     * triggered after that puts its barrier behind those records, so their increments are in its
     * transaction or an earlier one, committed once the next checkpoint has completed too. A
     * restart on the way starts over.
     */
    private static void awaitQuiet(Running r, int sent) throws Exception {
        while (true) {
            int attempt = attempt(r.job());
            if (attempt == 0) {
                await().atMost(WAIT).until(() -> attempt(r.job()) > 0 || sum(counters(r, "metaxyRecordsIn")) >= sent);
            }
            if (attempt(r.job()) > 0) {
                awaitSourceOffsetsCommitted(r);
            }
            long caughtUp = completedCheckpoint(r.job());
            await().atMost(WAIT).until(() -> completedCheckpoint(r.job()) >= caughtUp + 2);
            if (attempt(r.job()) == attempt) {
                r.client().poll();
                return;
            }
        }
    }

    /** The highest execution attempt of any task of the job: 0 until it restarts. */
    private static int attempt(JobID job) throws Exception {
        int max = 0;
        for (var vertex : flink.getExecutionGraph(job).get().getAllExecutionVertices()) {
            max = Math.max(max, vertex.getCurrentExecutionAttempt().getAttemptNumber());
        }
        return max;
    }

    /** The job's consumer group has committed the feature topics' end offsets (as of now). */
    private static void awaitSourceOffsetsCommitted(Running r) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new java.util.HashMap<>();
            for (String topic : r.plan().metadataTopics()) {
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().forEach(p ->
                        latest.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
                                org.apache.kafka.clients.admin.OffsetSpec.latest()));
            }
            Map<org.apache.kafka.common.TopicPartition, Long> end = new java.util.HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> end.put(tp, info.offset()));
            String group = r.plan().topicPrefix() + "job";
            await().atMost(WAIT).until(() -> {
                var committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                return end.entrySet().stream().allMatch(e -> e.getValue() == 0 || committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() >= e.getValue());
            });
        }
    }

    /** The id of the job's latest completed checkpoint, -1 before the first. */
    private static long completedCheckpoint(JobID job) throws Exception {
        var stats = flink.getExecutionGraph(job).get().getCheckpointStatsSnapshot();
        var last = stats == null ? null : stats.getHistory().getLatestCompletedCheckpoint();
        return last == null ? -1 : last.getCheckpointId();
    }

    /** Fails the job once, on the {@code n}-th record after it is armed. */
    static final class FailOnce implements MapFunction<RawRecord, RawRecord> {
        static final AtomicBoolean ARMED = new AtomicBoolean();
        static final AtomicInteger SEEN = new AtomicInteger();
        static final AtomicBoolean FAILED = new AtomicBoolean();
        private final int n;

        FailOnce(int n) {
            this.n = n;
        }

        @Override
        public RawRecord map(RawRecord value) {
            if (ARMED.get() && SEEN.incrementAndGet() == n && FAILED.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after " + n + " records");
            }
            return value;
        }
    }

    @Test
    void recoversFromACheckpointAndDeliversEveryIncrementExactlyOnce() throws Exception {
        try (Running r = start("r.", new FailOnce(25))) {
            String video = r.topicOf("example/video");
            for (int id = 0; id < 20; id++) {
                r.client().send(video, HarnessDriver.ids(id), videoRow(id, "a1"));
            }
            // Visible to read_committed = a checkpoint completed: the failure then rolls back to it.
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop")).size() == 20);
            FailOnce.ARMED.set(true);
            for (int id = 20; id < 60; id++) {
                r.client().send(video, HarnessDriver.ids(id), videoRow(id, "a1"));
            }
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop")).size() >= 60
                    && r.client().on(r.incrementsOf("example/stt")).size() >= 60);
            assertThat(FailOnce.FAILED).isTrue();
            // End marker: one more video; once its increments are visible, a replayed duplicate of
            // the 60 before it (committed in an earlier or the same transaction) would be too.
            r.client().send(video, HarnessDriver.ids(60), videoRow(60, "a1"));
            await().atMost(WAIT).until(() -> r.client().on(r.incrementsOf("example/crop")).stream()
                    .anyMatch(e -> e.key().equals(HarnessDriver.ids(60)))
                    && r.client().on(r.incrementsOf("example/stt")).stream().anyMatch(e -> e.key().equals(HarnessDriver.ids(60))));
            List<String> keys = r.client().on(r.incrementsOf("example/crop")).stream().map(Received::key).toList();
            assertThat(keys).hasSize(61).doesNotHaveDuplicates();
            assertThat(r.client().on(r.incrementsOf("example/stt"))).hasSize(61);
        }
    }
}
