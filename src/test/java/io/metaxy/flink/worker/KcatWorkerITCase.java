package io.metaxy.flink.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataRow;
import io.metaxy.flink.store.MetadataStore;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker of docs/protocol.md written in bash with kcat and jq ({@code docs/examples/kcat-worker.sh},
 * the script the doc shows) does all the work of examples/overview.yaml: one script per non-root
 * feature, against the real job (MiniCluster, RocksDB, exactly-once sinks, the DuckDB store) and a
 * real in-process broker. New videos, an audio change (crop and stt recompute) and a hard delete
 * (orphans, answered by tombstones) all end with nothing outstanding, and the store then holds the
 * scripts' rows and has nothing to resolve. Needs kcat and jq on the PATH ({@code .ci/run}
 * installs them); without them it fails, it does not skip.
 */
class KcatWorkerITCase {
    static final Duration WAIT = Duration.ofSeconds(120);
    static final Duration POLL = Duration.ofMillis(200);
    static final Path SCRIPT = Path.of("docs/examples/kcat-worker.sh");
    static final String PREFIX = "k.";

    @Test
    void kcatScriptsCompleteAllWorkOfTheOverviewGraph(@TempDir Path dir) throws Exception {
        requireOnPath("kcat");
        requireOnPath("jq");
        String graphText = Files.readString(Path.of("examples/overview.yaml"));
        FeatureGraph graph = GraphReader.parse(graphText);
        StreamPlan plan = StreamPlan.of(graph, PREFIX);
        String store = "duckdb:" + dir.resolve("store.duckdb");
        List<Process> workers = new ArrayList<>();
        Configuration c = new Configuration();
        c.setString("rest.bind-port", "0");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0);
                MiniCluster flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(c)
                        .setNumTaskManagers(1).setNumSlotsPerTaskManager(1).build())) {
            flink.start();
            String servers = kafka.bootstrapServers();
            kafka.createTopics(plan.allTopics(), 1);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                    IncrementJob.configuration(Duration.ofMillis(300), dir.resolve("checkpoints").toUri().toString()));
            env.setParallelism(1);
            KafkaConnections connections = new KafkaConnections(servers, plan, PREFIX + "job");
            new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(),
                    StoreSink.withGraphText(store, plan, graphText)).build(env);
            JobID job = flink.submitJob(env.getStreamGraph()).get().getJobID();
            for (StreamPlan.Feature f : plan.features()) {
                if (!f.isRoot()) {
                    workers.add(new ProcessBuilder("bash", SCRIPT.toString(), servers, f.key, PREFIX)
                            .redirectErrorStream(true)
                            .redirectOutput(dir.resolve("worker-" + f.incrementsTopic + ".log").toFile())
                            .start());
                }
            }
            try (OutstandingMonitor monitor = new OutstandingMonitor(servers, plan);
                    KafkaProducer<byte[], byte[]> feed = IncrementWorkerITCase.producer(servers)) {
                for (int id = 1; id <= 5; id++) {
                    send(feed, id, IncrementWorkerITCase.video(id, "a1"));
                }
                awaitDone(monitor, workers, dir, 5, 5, 5, 5);

                // An audio-only change: crop and stt recompute, face_detection is not asked.
                send(feed, 1, IncrementWorkerITCase.video(1, "a2"));
                awaitDone(monitor, workers, dir, 6, 6, 5, 5);
                assertThat(monitor.work("example/crop").count("stale")).isEqualTo(1);

                // A hard delete: crop and stt orphaned and deleted by the scripts, then face_detection.
                send(feed, 2, null);
                awaitDone(monitor, workers, dir, 7, 7, 6, 6);
                assertThat(monitor.work("example/face_detection").count("orphaned")).isEqualTo(1);
                assertThat(monitor.work("example/face_detection").count("stale")).isZero();
                // the store sink commits on checkpoints: stop with a savepoint, which commits the last writes
                flink.stopWithSavepoint(job, dir.resolve("savepoints").toUri().toString(), false,
                        SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
            }
        } finally {
            workers.forEach(KcatWorkerITCase::stop);
        }

        try (MetadataStore s = MetadataStores.open(store, graph, AccessMode.READ)) {
            for (String f : List.of("example/crop", "example/stt", "example/face_detection")) {
                List<MetadataRow> rows = s.read(f);
                assertThat(rows).as("%s rows in the store", f).hasSize(4);
                assertThat(rows).as(f).allSatisfy(r -> assertThat(r.columns()).containsEntry("computed_by", "kcat-worker"));
                assertThat(s.resolveUpdate(f).isEmpty()).as("%s: nothing to resolve", f).isTrue();
            }
            assertThat(s.read("example/stt")).extracting(r -> r.columns().get("source"))
                    .containsExactlyInAnyOrder("v1.mp4", "v3.mp4", "v4.mp4", "v5.mp4");
        }
    }

    /**
     * At least the given numbers of increments and rows per feature, and nothing outstanding; a
     * script that dies fails the test at once with its output.
     */
    static void awaitDone(OutstandingMonitor monitor, List<Process> workers, Path dir, long crop, long stt,
            long faces, long faceRows) {
        await().atMost(WAIT).untilAsserted(() -> {
            for (Process p : workers) {
                if (!p.isAlive()) {
                    fail("a kcat worker exited with " + p.exitValue() + ":\n" + logs(dir));
                }
            }
            monitor.poll(POLL);
            boolean done = monitor.done("example/crop", crop, -1) && monitor.done("example/stt", stt, -1)
                    && monitor.done("example/face_detection", faces, faceRows);
            assertThat(done).as(() -> describe(monitor) + logs(dir)).isTrue();
        });
    }

    static String describe(OutstandingMonitor monitor) {
        StringBuilder s = new StringBuilder("work so far:\n");
        synchronized (monitor.work()) {
            monitor.work().forEach((k, w) -> s.append(String.format("  %s: %d increments, %d rows, %d outstanding%n", k,
                    w.increments(), w.rows(), w.outstanding())));
        }
        return s.toString();
    }

    static void send(KafkaProducer<byte[], byte[]> feed, int id, byte[] value) throws Exception {
        feed.send(new ProducerRecord<>(PREFIX + "example__video", IncrementWorkerITCase.ids(id), value))
                .get(30, TimeUnit.SECONDS);
    }

    static void requireOnPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return;
            }
        }
        fail(tool + " is not on the PATH: this test runs docs/examples/kcat-worker.sh, which needs kcat and jq "
                + "(Debian: apt-get install -y kcat jq; .ci/run installs them)");
    }

    /** Ends the script and the kcat and jq processes of its pipeline (bash does not pass SIGTERM on). */
    static void stop(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    static String logs(Path dir) {
        StringBuilder s = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                s.append("== ").append(f.getFileName()).append('\n')
                        .append(new String(Files.readAllBytes(f), StandardCharsets.UTF_8));
            }
        } catch (java.io.IOException e) {
            s.append(e);
        }
        return s.toString();
    }
}
