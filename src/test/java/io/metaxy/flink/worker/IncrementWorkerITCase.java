package io.metaxy.flink.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import io.metaxy.flink.worker.IncrementWorker.Result;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Workers against the real job (MiniCluster, RocksDB, exactly-once sinks) and a real in-process
 * broker, on examples/overview.yaml: {@link IncrementWorker}s for crop and face_detection, and a
 * worker for stt written from docs/protocol.md alone with the plain Kafka clients. Together they
 * complete all work: new videos, an audio change (crop and stt recompute, face_detection does
 * not) and a hard delete (orphans, answered by tombstones).
 */
class IncrementWorkerITCase {
    static final Duration WAIT = Duration.ofSeconds(90);
    static final Duration POLL = Duration.ofMillis(200);
    static final ObjectMapper JSON = new ObjectMapper();
    static EmbeddedKafka kafka;
    static MiniCluster flink;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(0);
        Configuration c = new Configuration();
        c.setString("rest.bind-port", "0");
        flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(c)
                .setNumTaskManagers(1).setNumSlotsPerTaskManager(1).build());
        flink.start();
    }

    @AfterAll
    static void stop() throws Exception {
        flink.close();
        kafka.close();
    }

    static JobID startJob(StreamPlan plan) throws Exception {
        kafka.createTopics(plan.allTopics(), 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                IncrementJob.configuration(Duration.ofMillis(300), Files.createTempDirectory("mxw").toUri().toString()));
        env.setParallelism(1);
        KafkaConnections connections = new KafkaConnections(kafka.bootstrapServers(), plan, plan.topicPrefix() + "job");
        new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(), null)
                .build(env);
        return flink.submitJob(env.getStreamGraph()).get().getJobID();
    }

    /**
     * 1:N (examples/expansion.yaml): the chunk worker writes three children per video, the faces
     * worker answers each chunk; deleting a video orphans its chunks' parent increment, answered by
     * tombstones of the children, which orphans their faces.
     */
    @Test
    void oneToManyWorkerWritesAndDeletesTheChildren() throws Exception {
        StreamPlan plan = StreamPlan.of(GraphReader.read(Path.of("examples/expansion.yaml")), "e.");
        JobID job = startJob(plan);
        String servers = kafka.bootstrapServers();
        IncrementWorker.OrphanHandler childrenOf = inc -> java.util.stream.IntStream.range(0, 3)
                .mapToObj(i -> Map.<String, Object>of("video_chunk_id", inc.ids().get("video_id") + "-" + i)).toList();
        List<IncrementWorker> workers = List.of(
                IncrementWorker.builder(servers, "video/chunk").topicPrefix("e.")
                        .handler(inc -> Result.children(java.util.stream.IntStream.range(0, 3)
                                .mapToObj(i -> new IncrementWorker.Child(
                                        Map.of("video_chunk_id", inc.ids().get("video_id") + "-" + i),
                                        Map.of("start_s", 10 * i))) // video_id added by the worker
                                .toList()))
                        .onOrphaned(childrenOf).build(),
                IncrementWorker.builder(servers, "video/faces").topicPrefix("e.")
                        .handler(inc -> Result.of(Map.of("faces", 1))).build());
        List<Thread> threads = workers.stream().map(w -> new Thread(w, "worker-" + w.featureTopic())).toList();
        threads.forEach(Thread::start);
        OutstandingMonitor monitor = new OutstandingMonitor(servers, plan);
        try (KafkaProducer<byte[], byte[]> feed = producer(servers)) {
            for (String v : List.of("a", "b")) {
                feed.send(new ProducerRecord<>("e.video__raw", ("{\"video_id\":\"" + v + "\"}").getBytes(StandardCharsets.UTF_8),
                        JSON.writeValueAsBytes(Map.of("path", v + ".mp4",
                                "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))))).get(30, TimeUnit.SECONDS);
            }
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("video/faces", 6, 6) && monitor.done("video/chunk", 2, 6));
            assertThat(monitor.work("video/chunk").count("new")).isEqualTo(2);
            feed.send(new ProducerRecord<>("e.video__raw", "{\"video_id\":\"a\"}".getBytes(StandardCharsets.UTF_8), null))
                    .get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("video/faces", 9, 9) && monitor.done("video/chunk", 3, 9));
            assertThat(monitor.work("video/faces").count("orphaned")).isEqualTo(3);
        } finally {
            workers.forEach(IncrementWorker::close);
            for (Thread t : threads) {
                t.join(20_000);
            }
            monitor.close();
            flink.cancelJob(job).get();
        }
    }

    /** N:1 (examples/aggregation.yaml): the embedding worker gets the speaker's recordings as members. */
    @Test
    void manyToOneWorkerGetsTheMembers() throws Exception {
        StreamPlan plan = StreamPlan.of(GraphReader.read(Path.of("examples/aggregation.yaml")), "g.");
        JobID job = startJob(plan);
        String servers = kafka.bootstrapServers();
        Map<String, Integer> membersSeen = new ConcurrentHashMap<>();
        IncrementWorker worker = IncrementWorker.builder(servers, "speaker/embedding").topicPrefix("g.")
                .handler(inc -> {
                    int n = inc.members().getOrDefault("audio", List.of()).size();
                    membersSeen.put(String.valueOf(inc.ids().get("speaker_id")), n);
                    return Result.of(Map.of("recordings", n));
                }).build();
        Thread thread = new Thread(worker, "worker-embedding");
        thread.start();
        OutstandingMonitor monitor = new OutstandingMonitor(servers, plan);
        try (KafkaProducer<byte[], byte[]> feed = producer(servers)) {
            int id = 0;
            for (String speaker : List.of("s1", "s1", "s1", "s2")) {
                id++;
                feed.send(new ProducerRecord<>("g.audio", ("{\"audio_id\":" + id + "}").getBytes(StandardCharsets.UTF_8),
                        JSON.writeValueAsBytes(Map.of("speaker_id", speaker, "path", id + ".wav",
                                "metaxy_provenance_by_field", Map.of("default", "d" + id))))).get(30, TimeUnit.SECONDS);
            }
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("speaker/embedding", 2, 2)
                    && "3".equals(String.valueOf(membersSeen.get("s1"))));
            assertThat(membersSeen).containsEntry("s1", 3).containsEntry("s2", 1);
        } finally {
            worker.close();
            thread.join(20_000);
            monitor.close();
            flink.cancelJob(job).get();
        }
    }

    @Test
    void workersCompleteAllWorkOfTheOverviewGraph() throws Exception {
        StreamPlan plan = StreamPlan.of(GraphReader.read(Path.of("examples/overview.yaml")), "w.");
        JobID job = startJob(plan);
        String servers = kafka.bootstrapServers();
        Map<String, Integer> computed = new ConcurrentHashMap<>();
        List<IncrementWorker> workers = List.of(
                IncrementWorker.builder(servers, "example/crop").topicPrefix("w.")
                        .handler(inc -> {
                            computed.merge("crop", 1, Integer::sum);
                            return Result.of(Map.of("crop_path", inc.upstream().getOrDefault("path", "?") + ".crop"));
                        }).build(),
                IncrementWorker.builder(servers, "example/face_detection").topicPrefix("w.")
                        .handler(inc -> {
                            computed.merge("face_detection", 1, Integer::sum);
                            return Result.of(Map.of("faces", 2)).withDataVersion(Map.of("faces", "two-faces"));
                        }).build());
        List<Thread> threads = new ArrayList<>();
        for (IncrementWorker w : workers) {
            Thread t = new Thread(w, "worker-" + w.featureTopic());
            t.start();
            threads.add(t);
        }
        ProtocolOnlyWorker stt = new ProtocolOnlyWorker(servers, "w.example__stt");
        Thread sttThread = new Thread(stt, "protocol-only-stt");
        sttThread.start();
        OutstandingMonitor monitor = new OutstandingMonitor(servers, plan);
        try (KafkaProducer<byte[], byte[]> feed = producer(servers)) {
            for (int id = 1; id <= 5; id++) {
                send(feed, "w.example__video", id, video(id, "a1"));
            }
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("example/face_detection", 5, 5)
                    && monitor.done("example/crop", 5, 5) && monitor.done("example/stt", 5, 5));
            assertThat(monitor.work("example/face_detection").count("new")).isEqualTo(5);

            // An audio-only change: crop and stt recompute, face_detection is not asked.
            send(feed, "w.example__video", 1, video(1, "a2"));
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("example/crop", 6, 6)
                    && monitor.done("example/stt", 6, 6));
            assertThat(monitor.work("example/crop").count("stale")).isEqualTo(1);

            // A hard delete: crop and stt orphaned, workers delete, face_detection orphaned and deleted.
            feed.send(new ProducerRecord<>("w.example__video", ids(2), null)).get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> monitor.poll(POLL).done("example/face_detection", 6, -1)
                    && monitor.done("example/crop", 7, -1) && monitor.done("example/stt", 7, -1));
            assertThat(monitor.work("example/face_detection").count("orphaned")).isEqualTo(1);
            assertThat(monitor.work("example/face_detection").count("stale")).isZero();
            assertThat(stt.answered.get()).isGreaterThanOrEqualTo(7);
            assertThat(computed.get("face_detection")).isEqualTo(5);
        } finally {
            workers.forEach(IncrementWorker::close);
            stt.stop.set(true);
            for (Thread t : threads) {
                t.join(20_000);
            }
            sttThread.join(20_000);
            monitor.close();
            flink.cancelJob(job).get();
        }
    }

    static byte[] ids(int id) {
        return ("{\"sample_uid\":" + id + "}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] video(int id, String audio) throws Exception {
        return JSON.writeValueAsBytes(Map.of("path", "v" + id + ".mp4",
                "metaxy_provenance_by_field", Map.of("audio", audio, "frames", "f1")));
    }

    static void send(KafkaProducer<byte[], byte[]> p, String topic, int id, byte[] value) throws Exception {
        p.send(new ProducerRecord<>(topic, ids(id), value)).get(30, TimeUnit.SECONDS);
    }

    static KafkaProducer<byte[], byte[]> producer(String servers) {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put("acks", "all");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /**
     * A worker written from docs/protocol.md alone, with the plain Kafka clients: no IncrementWorker,
     * no class of this project.
     */
    static final class ProtocolOnlyWorker implements Runnable {
        final String featureTopic;
        final String servers;
        final AtomicBoolean stop = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicInteger answered = new java.util.concurrent.atomic.AtomicInteger();

        ProtocolOnlyWorker(String servers, String featureTopic) {
            this.servers = servers;
            this.featureTopic = featureTopic;
        }

        @Override
        public void run() {
            Properties c = new Properties();
            c.put("bootstrap.servers", servers);
            c.put("group.id", "stt-by-the-doc");
            c.put("isolation.level", "read_committed");
            c.put("enable.auto.commit", "false");
            c.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer()); KafkaProducer<byte[], byte[]> producer = producer(servers)) {
                consumer.subscribe(List.of(featureTopic + ".increments"));
                while (!stop.get()) {
                    var records = consumer.poll(Duration.ofMillis(200));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        JsonNode e = JSON.readTree(r.value());
                        switch (e.get("kind").asText()) {
                            case "new", "stale" -> {
                                ObjectNode row = (ObjectNode) e.get("ids").deepCopy();
                                row.put("transcript", "words of " + e.get("upstream").path("path").asText());
                                row.set("metaxy_provenance_by_field", e.get("metaxy_provenance_by_field"));
                                row.put("metaxy_feature_version", e.get("feature_version").asText());
                                producer.send(new ProducerRecord<>(featureTopic, r.key(), JSON.writeValueAsBytes(row)))
                                        .get(30, TimeUnit.SECONDS);
                            }
                            case "orphaned" -> producer.send(new ProducerRecord<>(featureTopic, r.key(), null))
                                    .get(30, TimeUnit.SECONDS);
                            default -> { } // retracted: nothing to do
                        }
                        answered.incrementAndGet();
                    }
                    if (!records.isEmpty()) {
                        consumer.commitSync();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
