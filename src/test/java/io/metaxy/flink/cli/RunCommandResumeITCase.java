package io.metaxy.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.Increment;
import io.metaxy.flink.store.IncrementRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.KafkaTestClient;
import io.metaxy.flink.stream.KafkaTestClient.Received;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code run} on embedded defaults keeps everything in its data directory: stopped (Ctrl-C takes
 * a savepoint) and run again, it resumes where it stopped, so the increments neither repeat nor
 * forget, and the store still agrees with them. Checkpoints of another Kafka cluster are not resumed.
 */
class RunCommandResumeITCase {
    static final Path GRAPH = Path.of("examples", "overview.yaml");
    static final String CROP_INCREMENTS = "metaxy.example__crop.increments";

    @TempDir
    Path dir;

    final StringWriter err = new StringWriter();

    /** run creates its topics with one partition per subtask: locally, one per core. */
    static final int PARTITIONS = Runtime.getRuntime().availableProcessors();

    RunCommand.Launched launch(int kafkaPort) throws Exception {
        return launch(kafkaPort, "--checkpoint-interval", "PT0.3S");
    }

    RunCommand.Launched launch(int kafkaPort, String... more) throws Exception {
        CommandLine cli = MetaxyCommand.newCommandLine();
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        List<String> args = new java.util.ArrayList<>(List.of("run", "--graph", GRAPH.toString(), "--embedded-kafka",
                "--kafka-port", String.valueOf(kafkaPort), "--data-dir", dir.toString(), "--web-port", "0", "--managed-memory", "128m"));
        args.addAll(List.of(more));
        cli.parseArgs(args.toArray(String[]::new));
        RunCommand run = cli.getSubcommands().get("run").getCommand();
        return run.launch();
    }

    static String video(String audio) throws Exception {
        return KafkaTestClient.row(Map.of("path", "a.mp4", "metaxy_provenance_by_field", Map.of("audio", audio, "frames", "f1")));
    }

    static List<String> crop(KafkaTestClient client) throws Exception {
        return client.on(CROP_INCREMENTS).stream().map(e -> e.json().get("kind").asText() + " " + e.key()).toList();
    }

    @Test
    void stoppedAndRunAgainItResumesWhereItStopped() throws Exception {
        int port = freePort();
        RunCommand.Launched first = launch(port);
        assertThat(first.resumedFrom()).isNull();
        Optional<String> savepoint;
        try (KafkaTestClient client = new KafkaTestClient(first.bootstrapServers(), List.of(CROP_INCREMENTS), PARTITIONS)) {
            client.send("metaxy.example__video", "{\"sample_uid\":1}", video("a1"));
            client.send("metaxy.example__video", "{\"sample_uid\":2}", video("a1"));
            await().atMost(Duration.ofSeconds(60)).until(() -> crop(client).size() == 2);
            Received one = client.on(CROP_INCREMENTS).stream().filter(e -> e.key().equals("{\"sample_uid\":1}")).findFirst().orElseThrow();
            client.send("metaxy.example__crop", one.key(), KafkaTestClient.row(Map.of("metaxy_provenance_by_field",
                    KafkaTestClient.JSON.treeToValue(one.json().get("metaxy_provenance_by_field"), Map.class))));
        } finally {
            savepoint = first.stop();
        }
        assertThat(savepoint).isPresent();

        RunCommand.Launched second = launch(port);
        try (KafkaTestClient client = new KafkaTestClient(second.bootstrapServers(), List.of(CROP_INCREMENTS), PARTITIONS)) {
            assertThat(second.resumedFrom()).isEqualTo(Path.of(java.net.URI.create(savepoint.get())).toUri().toString());
            // State survived: crop 1's recorded answer makes an audio change stale, not new.
            client.send("metaxy.example__video", "{\"sample_uid\":1}", video("a2"));
            // Awaited on the stale answer to the change: a duplicate replayed from the first run
            // would be in the topic before it. Samples 1 and 2 live in different subtasks, so
            // only each sample's own events are ordered.
            await().atMost(Duration.ofSeconds(60)).until(() -> crop(client).contains("stale {\"sample_uid\":1}"));
            List<String> events = crop(client);
            assertThat(events).containsExactlyInAnyOrder("new {\"sample_uid\":1}", "new {\"sample_uid\":2}",
                    "stale {\"sample_uid\":1}");
            assertThat(events.indexOf("new {\"sample_uid\":1}")).isLessThan(events.indexOf("stale {\"sample_uid\":1}"));
        } finally {
            second.stop();
        }
        try (MetadataStore store = MetadataStores.open("duckdb:" + dir.resolve("metaxy.duckdb"), GraphReader.read(GRAPH),
                AccessMode.READ)) {
            Increment crop = store.resolveUpdate("example/crop");
            assertThat(crop.added()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 2L));
            assertThat(crop.stale()).extracting(IncrementRow::ids).containsExactly(Map.of("sample_uid", 1L));
        }

        // Without the broker's log, the checkpoints' offsets mean nothing: a fresh start, with a warning.
        try (Stream<Path> files = Files.walk(dir.resolve("kafka"))) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        RunCommand.Launched third = launch(port);
        Optional<String> thirdSavepoint;
        try {
            assertThat(third.resumedFrom()).isNull();
            assertThat(err.toString()).contains("another Kafka cluster");
        } finally {
            thirdSavepoint = third.stop();
        }
        // The other cluster's state was moved aside: the next run resumes the third's savepoint, never it.
        try (Stream<Path> folders = Files.list(dir.resolve("checkpoints"))) {
            assertThat(folders.map(p -> p.getFileName().toString())).anyMatch(n -> n.contains(".before-"));
        }
        RunCommand.Launched fourth = launch(port);
        try {
            assertThat(fourth.resumedFrom()).isEqualTo(Path.of(java.net.URI.create(thirdSavepoint.orElseThrow())).toUri().toString());
        } finally {
            fourth.stop();
        }
    }

    /**
     * The store sink commits after each checkpoint's snapshot, in its task's mailbox: the stop's
     * savepoint is the only checkpoint here (an hour apart, increments at once), and the rows it
     * carries are in the store when the stop returns, not only in the savepoint.
     */
    @Test
    void theStopCommitsTheRowsItsSavepointCarries() throws Exception {
        RunCommand.Launched run = launch(freePort(), "--checkpoint-interval", "PT1H", "--delivery", "at-least-once");
        try (KafkaTestClient client = new KafkaTestClient(run.bootstrapServers(), List.of(CROP_INCREMENTS), PARTITIONS)) {
            client.send("metaxy.example__video", "{\"sample_uid\":1}", video("a1"));
            client.send("metaxy.example__video", "{\"sample_uid\":2}", video("a1"));
            // Increments of both are readable, so the source read both rows before the savepoint's barrier.
            await().atMost(Duration.ofSeconds(60)).until(() -> crop(client).size() == 2);
        } finally {
            assertThat(run.stop()).isPresent();
        }
        try (MetadataStore store = MetadataStores.open("duckdb:" + dir.resolve("metaxy.duckdb"), GraphReader.read(GRAPH),
                AccessMode.READ)) {
            assertThat(store.read("example/video")).extracting(r -> r.ids().get("sample_uid")).containsExactlyInAnyOrder(1L, 2L);
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
