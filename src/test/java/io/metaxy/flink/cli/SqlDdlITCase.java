package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import io.metaxy.flink.worker.IncrementWorker;
import io.metaxy.flink.worker.IncrementWorker.Result;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The increment job on the real broker, then Flink SQL (Table API, batch mode, a local MiniCluster)
 * over the DDL {@code sql-ddl} prints: the counts per feature and kind equal what the job emitted.
 * Also {@code increments}: the same topic printed as a table and as JSON lines, ending at the end
 * offsets.
 */
class SqlDdlITCase {
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

    static String cli(Object command, String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = new CommandLine(command);
        cli.setOut(new PrintWriter(out, true));
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err, true));
        assertThat(cli.execute(args)).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void flinkSqlCountsTheIncrementsTheJobEmitted() throws Exception {
        FeatureGraph graph = GraphReader.read(Path.of("examples/overview.yaml"));
        StreamPlan plan = StreamPlan.of(graph, "q.");
        kafka.createTopics(plan.allTopics(), 1);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                IncrementJob.configuration(Duration.ofMillis(300), Files.createTempDirectory("mxq").toUri().toString()));
        env.setParallelism(1);
        KafkaConnections connections = new KafkaConnections(kafka.bootstrapServers(), plan, "q.job");
        new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(), null)
                .build(env);
        JobID job = flink.submitJob(env.getStreamGraph()).get().getJobID();
        String servers = kafka.bootstrapServers();
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        IncrementWorker crop = IncrementWorker.builder(servers, "example/crop").topicPrefix("q.")
                .handler(inc -> Result.of(Map.of("crop_path", "c"))).build();
        Thread cropThread = new Thread(crop);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int id = 1; id <= 4; id++) {
                producer.send(new ProducerRecord<>("q.example__video", key(id), video(id, "a1"))).get(30, TimeUnit.SECONDS);
            }
            cropThread.start();
            await().atMost(Duration.ofSeconds(90)).until(() -> counts(servers, "q.example__face_detection.increments") == 4);
            // an audio change: crop and stt stale / new again
            producer.send(new ProducerRecord<>("q.example__video", key(1), video(1, "a2"))).get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(90)).until(() -> counts(servers, "q.example__stt.increments") == 5
                    && counts(servers, "q.example__crop.increments") == 5);
        } finally {
            crop.close();
            cropThread.join(20_000);
            flink.cancelJob(job).get();
        }
        Map<String, Long> emitted = new HashMap<>();
        for (String feature : List.of("example/crop", "example/stt", "example/face_detection")) {
            String json = cli(new IncrementsCommand(), "--feature", feature, "--bootstrap-servers", servers,
                    "--topic-prefix", "q.", "--format", "json");
            for (String line : json.split("\n")) {
                if (!line.isBlank()) {
                    var e = IncrementsCommand.JSON.readTree(line);
                    emitted.merge(e.get("feature").asText() + "|" + e.get("kind").asText(), 1L, Long::sum);
                }
            }
        }
        assertThat(emitted).containsEntry("example/crop|new", 4L).containsEntry("example/crop|stale", 1L)
                .containsEntry("example/face_detection|new", 4L).containsEntry("example/stt|new", 5L).hasSize(4);
        String table = cli(new IncrementsCommand(), "--feature", "example/crop", "--bootstrap-servers", servers,
                "--topic-prefix", "q.", "--kind", "stale");
        assertThat(table).contains("stale").contains("{\"sample_uid\":1}").contains("(1 increments of kind stale");

        // --follow keeps reading past the end until stopped
        IncrementsCommand follow = new IncrementsCommand();
        StringWriter followed = new StringWriter();
        CommandLine followCli = new CommandLine(follow);
        followCli.setOut(new PrintWriter(followed, true));
        Thread follower = new Thread(() -> followCli.execute("--feature", "example/stt", "--bootstrap-servers", servers,
                "--topic-prefix", "q.", "--follow", "--format", "json"));
        follower.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> followed.toString().lines().count() == 5);
        assertThat(follower.isAlive()).isTrue();
        follow.stop.set(true);
        follower.join(10_000);
        assertThat(follower.isAlive()).isFalse();

        String ddl = cli(new SqlDdlCommand(), "--graph", "examples/overview.yaml", "--bootstrap-servers", servers,
                "--topic-prefix", "q.", "--bounded");
        TableEnvironment sql = TableEnvironment.create(EnvironmentSettings.inBatchMode());
        sql.getConfig().set("table.dml-sync", "true");
        for (String statement : ddl.split(";\n")) {
            String s = statement.lines().filter(l -> !l.startsWith("--")).reduce("", (a, b) -> a + b + "\n").trim();
            if (!s.isEmpty()) {
                sql.executeSql(s);
            }
        }
        Map<String, Long> counted = new HashMap<>();
        try (CloseableIterator<Row> rows = sql.executeSql(
                "SELECT feature, kind, COUNT(*) AS n FROM increments GROUP BY feature, kind").collect()) {
            rows.forEachRemaining(r -> counted.put(r.getField(0) + "|" + r.getField(1), (Long) r.getField(2)));
        }
        assertThat(counted).isEqualTo(emitted);
        // a feature table: the rows the crop worker wrote, with their provenance
        try (CloseableIterator<Row> rows = sql.executeSql(
                "SELECT COUNT(DISTINCT sample_uid) FROM example__crop WHERE metaxy_provenance_by_field IS NOT NULL")
                .collect()) {
            assertThat(rows.next().getField(0)).isEqualTo(4L);
        }
    }

    static byte[] key(int id) {
        return ("{\"sample_uid\":" + id + "}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] video(int id, String audio) throws Exception {
        return IncrementsCommand.JSON.writeValueAsBytes(Map.of("path", "v" + id + ".mp4",
                "metaxy_provenance_by_field", Map.of("audio", audio, "frames", "f1")));
    }

    /** Events on the topic (read_committed). */
    static long counts(String servers, String topic) throws Exception {
        Properties c = new Properties();
        c.put("bootstrap.servers", servers);
        c.put("isolation.level", "read_committed");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(c,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            return consumer.endOffsets(List.of(tp)).get(tp) > 0 ? count(consumer) : 0;
        }
    }

    private static long count(org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> consumer) {
        long n = 0;
        for (int i = 0; i < 5; i++) {
            n += consumer.poll(Duration.ofMillis(200)).count();
        }
        return n;
    }
}
