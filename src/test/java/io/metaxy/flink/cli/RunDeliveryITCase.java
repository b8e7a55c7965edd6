package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.stream.KafkaTestClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code run --delivery at-least-once}: increments are written without Kafka transactions, so a
 * read_committed consumer reads them as soon as they are sent, not when a checkpoint commits
 * them. Observable on the broker: a transactional write leaves a commit marker in the log, so
 * an exactly-once topic's end offset runs ahead of its record count; an at-least-once one does not.
 */
class RunDeliveryITCase {
    static final Path GRAPH = Path.of("examples", "overview.yaml");
    static final String CROP_INCREMENTS = "metaxy.example__crop.increments";
    static final int PARTITIONS = Runtime.getRuntime().availableProcessors();

    @TempDir
    Path dir;

    RunCommand.Launched launch(String delivery, String... extra) throws Exception {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(new StringWriter()));
        List<String> args = new java.util.ArrayList<>(List.of("run", "--graph", GRAPH.toString(), "--embedded-kafka",
                "--kafka-port", String.valueOf(freePort()), "--data-dir", dir.resolve(delivery + extra.length).toString(),
                "--web-port", "0", "--no-store", "--managed-memory", "128m", "--delivery", delivery));
        args.addAll(List.of(extra));
        cli.parseArgs(args.toArray(String[]::new));
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        return run.launch();
    }

    /** Increments of three samples; the crop increments topic's end offset minus its record count. */
    long markers(String delivery) throws Exception {
        RunCommand.Launched job = launch(delivery);
        try (KafkaTestClient client = new KafkaTestClient(job.bootstrapServers(), List.of(CROP_INCREMENTS), PARTITIONS)) {
            for (int i = 1; i <= 3; i++) {
                client.send("metaxy.example__video", "{\"sample_uid\":" + i + "}", KafkaTestClient.row(Map.of("path", "v.mp4",
                        "metaxy_provenance_by_field", Map.of("audio", "a" + i, "frames", "f" + i))));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> client.poll().stream()
                    .filter(r -> r.topic().equals(CROP_INCREMENTS)).count() == 3);
            assertThat(client.on(CROP_INCREMENTS)).extracting(r -> r.json().get("kind").asText()).containsOnly("new");
            Properties p = new Properties();
            p.put("bootstrap.servers", job.bootstrapServers());
            try (Admin admin = Admin.create(p)) {
                Map<TopicPartition, OffsetSpec> latest = IntStream.range(0, PARTITIONS).boxed()
                        .collect(Collectors.toMap(i -> new TopicPartition(CROP_INCREMENTS, i), i -> OffsetSpec.latest()));
                long end = admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
                return end - 3;
            }
        } finally {
            job.stop();
        }
    }

    @Test
    void atLeastOnceWritesWithoutTransactionsAndExactlyOnceWithThem() throws Exception {
        assertThat(markers("at-least-once")).isZero();
        assertThat(markers("exactly-once")).isPositive();
    }

    /** {@code --flink-property} reaches the job's configuration: here the parallelism the created topics follow. */
    @Test
    void aFlinkPropertyWinsOverTheJobsDefaults() throws Exception {
        RunCommand.Launched job = launch("exactly-once", "--flink-property", "parallelism.default=1");
        try (KafkaTestClient client = new KafkaTestClient(job.bootstrapServers(), List.of(CROP_INCREMENTS), 1)) {
            Properties p = new Properties();
            p.put("bootstrap.servers", job.bootstrapServers());
            try (Admin admin = Admin.create(p)) {
                assertThat(admin.describeTopics(List.of(CROP_INCREMENTS)).allTopicNames().get().get(CROP_INCREMENTS)
                        .partitions()).hasSize(1);
            }
            client.send("metaxy.example__video", "{\"sample_uid\":1}", KafkaTestClient.row(Map.of("path", "v.mp4",
                    "metaxy_provenance_by_field", Map.of("audio", "a", "frames", "f"))));
            await().atMost(Duration.ofSeconds(90)).until(() -> client.poll().stream()
                    .filter(r -> r.topic().equals(CROP_INCREMENTS)).count() == 1);
        } finally {
            job.stop();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
