package io.metaxy.flink.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.FeatureSpec;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import io.metaxy.flink.worker.IncrementWorker;
import io.metaxy.flink.worker.IncrementWorker.Result;
import io.metaxy.flink.worker.OutstandingMonitor;
import io.metaxy.flink.worker.OutstandingWork;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: the product working, in one process. An embedded broker, the increment job on
 * Metaxy's overview graph (video → crop, stt; crop → face_detection) on a local Flink
 * MiniCluster, the DuckDB store, and a simulated {@link IncrementWorker} per non-root feature.
 * Videos are fed at {@code --rate}; a summary refreshes every second. After
 * {@code --change-after} seconds one field's code_version is bumped ({@code --change}, default
 * stt's {@code transcription}): the job stops with a savepoint and resumes under the changed
 * graph, and only what depends on that field recomputes (by default every stt sample, re-announced
 * with {@code "cause":{"redeploy":…}}); crop and face_detection stay quiet.
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar demo
 * java -jar target/metaxy-flink.jar demo --rate 50 --duration 120 --change-after 20
 * }</pre>
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Broker, job, store and simulated workers in one process, with a live summary.")
public final class DemoCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PREFIX = "metaxy.";
    static final String VIDEO = "example/video";

    @Spec
    CommandSpec spec;

    @Option(names = "--rate", defaultValue = "20", description = "Videos fed per second (default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--duration", defaultValue = "0",
            description = "Seconds to run (default ${DEFAULT-VALUE} = until Ctrl-C).")
    int duration;

    @Option(names = "--change-after", defaultValue = "30",
            description = "Seconds until video's audio code_version changes (redeploy; default ${DEFAULT-VALUE}; 0 = never).")
    int changeAfter;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the embedded broker (default ${DEFAULT-VALUE}; 0 = any).")
    int kafkaPort;

    @Option(names = "--web-port", defaultValue = "8081", description = "Port of the Flink web UI (default ${DEFAULT-VALUE}; 0 = any).")
    int webPort;

    @Option(names = "--data-dir", description = "Where the broker log, checkpoints and store go (default: a fresh temporary directory).")
    Path dataDir;

    @Option(names = "--plain", description = "Print the summary as lines instead of redrawing the screen.")
    boolean plain;

    /** What happened, for tests: per feature the increments before the change and after it. */
    volatile Map<String, OutstandingWork> work = Map.of();
    final Map<String, Long> incrementsAtChange = new LinkedHashMap<>();
    final Map<String, Long> incrementsAtChangeSettled = new LinkedHashMap<>();
    volatile boolean changed;
    private final CountDownLatch interrupted = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    @Option(names = "--change", defaultValue = "example/stt:transcription", paramLabel = "FEATURE:FIELD",
            description = "The field whose code_version the demo bumps (default ${DEFAULT-VALUE}). A field upstream, "
                    + "e.g. example/video:audio, changes the feature version of every feature below it, and rows of "
                    + "an old version stop counting as parents (as in Metaxy): grandchildren are orphaned.")
    String change;

    /** The demo graph; {@code change} ({@code feature:field}, or null): that field's code_version bumped by one. */
    static FeatureGraph graph(String change) {
        String yaml;
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/overview.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        FeatureGraph graph = GraphReader.parse(yaml);
        if (change == null) {
            return graph;
        }
        int colon = change.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--change is FEATURE:FIELD, e.g. example/stt:transcription");
        }
        String field = change.substring(colon + 1);
        FeatureSpec spec = graph.spec(change.substring(0, colon));
        if (spec.fields().stream().noneMatch(f -> f.key().toString().equals(field))) {
            throw new IllegalArgumentException("feature " + spec.key() + " has no field '" + field + "'");
        }
        FeatureSpec.Builder bumped = FeatureSpec.builder(spec.key()).idColumns(spec.idColumns());
        spec.deps().forEach(bumped::dep);
        spec.fields().forEach(f -> bumped.field(f.key().toString().equals(field) ? f.withCodeVersion(bump(f.codeVersion())) : f));
        if (spec.description() != null) {
            bumped.description(spec.description());
        }
        return graph.with(bumped.build());
    }

    static String bump(String codeVersion) {
        try {
            return String.valueOf(Integer.parseInt(codeVersion) + 1);
        } catch (NumberFormatException e) {
            return codeVersion + "+1";
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("metaxy-demo");
        // Ctrl-C: the main loop ends, prints the final summary and stops everything; the JVM waits for it.
        Thread hook = new Thread(() -> {
            interrupted.countDown();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "metaxy-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        List<AutoCloseable> resources = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort, dir.resolve("kafka"))) {
            String servers = kafka.bootstrapServers();
            StreamPlan plan = StreamPlan.of(graph(null), PREFIX);
            if (changeAfter > 0) {
                graph(change); // a bad --change fails now, not after --change-after
            }
            kafka.createTopics(plan.allTopics(), 1);
            Configuration config = new Configuration();
            config.setString("rest.bind-port", String.valueOf(webPort));
            config.setString("taskmanager.memory.managed.size", "256m");
            MiniCluster flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(config)
                    .setNumTaskManagers(1).setNumSlotsPerTaskManager(1).build());
            flink.start();
            resources.add(flink);
            String store = "duckdb:" + dir.resolve(MetadataStores.DEFAULT_DATA_DIR).resolve("metaxy.duckdb");
            Files.createDirectories(dir.resolve(MetadataStores.DEFAULT_DATA_DIR));
            JobID job = submit(flink, plan, servers, store, dir, null, null);
            out.println("metaxy demo: broker " + servers + ", Flink web UI " + flink.getRestAddress().get()
                    + ", store " + store);
            out.println("Graph: video -> crop (audio, frames), stt (audio); crop.frames -> face_detection. "
                    + "Feeding " + rate + " videos/s; Ctrl-C stops.");
            out.flush();

            OutstandingMonitor monitor = new OutstandingMonitor(servers, plan);
            resources.add(monitor);
            work = monitor.work();
            for (StreamPlan.Feature f : plan.features()) {
                if (f.isRoot()) {
                    continue;
                }
                IncrementWorker w = IncrementWorker.builder(servers, f.key).topicPrefix(PREFIX)
                        .handler(inc -> simulate(f.key, inc)).build();
                Thread t = new Thread(w, "demo-worker-" + f.key);
                t.setDaemon(true);
                t.start();
                resources.add(0, w);
                threads.add(t);
            }
            AtomicLong fed = new AtomicLong();
            Thread feeder = new Thread(() -> feed(servers, fed), "demo-feeder");
            feeder.setDaemon(true);
            feeder.start();
            threads.add(feeder);

            long start = System.nanoTime();
            long lastTick = start;
            Map<String, Long> previous = new LinkedHashMap<>();
            while (true) {
                long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
                if (duration > 0 && elapsed >= duration || interrupted.await(0, TimeUnit.MILLISECONDS)) {
                    break;
                }
                if (!changed && changeAfter > 0 && elapsed >= changeAfter) {
                    monitor.drain(Duration.ofSeconds(10));
                    synchronized (work) {
                        work.forEach((k, w) -> incrementsAtChange.put(k, w.increments()));
                    }
                    out.println(">>> " + elapsed + "s: " + change + " code_version bumped: stop with a savepoint, "
                            + "resume under the changed graph");
                    out.flush();
                    String savepoint = flink.stopWithSavepoint(job, dir.resolve("savepoints").toUri().toString(),
                            false, SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
                    monitor.drain(Duration.ofSeconds(10));
                    synchronized (work) {
                        work.forEach((k, w) -> incrementsAtChangeSettled.put(k, w.increments()));
                    }
                    job = submit(flink, StreamPlan.of(graph(change), PREFIX), servers, store, dir, change, savepoint);
                    changed = true;
                    out.println(">>> resumed from " + savepoint);
                    out.flush();
                }
                long deadline = lastTick + 1_000_000_000L;
                while (System.nanoTime() < deadline && interrupted.getCount() > 0) {
                    monitor.poll(Duration.ofMillis(Math.max(1, Math.min(250, (deadline - System.nanoTime()) / 1_000_000))));
                }
                double seconds = (System.nanoTime() - lastTick) / 1e9;
                lastTick = System.nanoTime();
                render(out, elapsed + 1, fed.get(), checkpoint(flink, job), previous, seconds);
            }
            monitor.drain(Duration.ofSeconds(10));
            render(out, (System.nanoTime() - start) / 1_000_000_000L, fed.get(), checkpoint(flink, job), previous, 1);
            if (changed) {
                out.println("Since the change:");
                synchronized (work) {
                    work.forEach((k, w) -> {
                        if (!k.equals(VIDEO)) {
                            out.printf("  %-24s %d increments, %d of them caused by the redeploy%n", k,
                                    w.increments() - incrementsAtChangeSettled.get(k), w.redeployIncrements());
                        }
                    });
                }
            }
            out.println("Store: " + store);
            out.flush();
            feeder.interrupt();
            try {
                flink.cancelJob(job).get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already ended
            }
        } finally {
            for (AutoCloseable r : resources) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            for (Thread t : threads) {
                t.interrupt();
                t.join(10_000);
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down
            }
        }
        return 0;
    }

    private JobID submit(MiniCluster flink, StreamPlan plan, String servers, String store, Path dir, String changedGraph,
            String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                IncrementJob.configuration(Duration.ofSeconds(1), dir.resolve("checkpoints").toUri().toString()));
        env.setParallelism(1);
        KafkaConnections connections = new KafkaConnections(servers, plan, "metaxy-demo");
        StoreSink sink = new StoreSink(store, plan, () -> DemoCommand.graph(changedGraph), 200);
        new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(), sink)
                .build(env);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName("metaxy demo " + plan.graphVersion());
        if (savepoint != null) {
            graph.setSavepointRestoreSettings(IncrementJob.restoreFrom(savepoint, false, env.getConfiguration()));
        }
        return flink.submitJob(graph).get().getJobID();
    }

    /** A simulated computation: columns derived from the upstream. */
    static Result simulate(String feature, IncrementWorker.Increment inc) {
        Object path = inc.upstream().getOrDefault("path", "?");
        return switch (feature) {
            case "example/crop" -> Result.of(Map.of("path", path + ".crop.mp4"));
            case "example/stt" -> Result.of(Map.of("transcript", "words of " + path));
            case "example/face_detection" -> Result.of(Map.of("faces", Math.abs(path.hashCode()) % 4));
            default -> Result.of(Map.of());
        };
    }

    private void feed(String servers, AtomicLong fed) {
        Properties p = new Properties();
        p.put("bootstrap.servers", servers);
        p.put("acks", "all");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            long next = System.nanoTime();
            long period = 1_000_000_000L / Math.max(1, rate);
            for (long id = 1; !Thread.currentThread().isInterrupted(); id++) {
                byte[] key = ("{\"sample_uid\":" + id + "}").getBytes(StandardCharsets.UTF_8);
                byte[] value = JSON.writeValueAsBytes(Map.of("path", "s3://videos/" + id + ".mp4",
                        "metaxy_provenance_by_field", Map.of("audio", "a" + id, "frames", "f" + id)));
                producer.send(new ProducerRecord<>(PREFIX + "example__video", key, value));
                fed.incrementAndGet();
                next += period;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!Thread.currentThread().isInterrupted()) {
                spec.commandLine().getErr().println("feeder stopped: " + e.getMessage());
            }
        }
    }

    private static String checkpoint(MiniCluster flink, JobID job) {
        try {
            var graph = flink.getExecutionGraph(job).get(5, TimeUnit.SECONDS);
            var snapshot = graph.getCheckpointStatsSnapshot();
            CompletedCheckpointStats last = snapshot == null ? null : snapshot.getHistory().getLatestCompletedCheckpoint();
            if (last == null) {
                return graph.getState() + ", no checkpoint yet";
            }
            long ago = (System.currentTimeMillis() - last.getLatestAckTimestamp()) / 1000;
            return graph.getState() + ", checkpoint #" + last.getCheckpointId() + " " + ago + "s ago ("
                    + last.getEndToEndDuration() + " ms)";
        } catch (Exception e) {
            return "job status unavailable";
        }
    }

    private void render(PrintWriter out, long elapsed, long fed, String checkpoint, Map<String, Long> previous,
            double seconds) {
        StringBuilder s = new StringBuilder();
        if (!plain) {
            s.append("\u001b[H\u001b[2J");
        }
        s.append(String.format("metaxy demo  %ds  videos fed %d  %s%s%n", elapsed, fed, checkpoint,
                changed ? "  [after the " + change + " code_version change]" : ""));
        s.append(String.format("%-24s %9s %7s %7s %9s %10s %9s %12s %9s%n", "feature", "records", "new", "stale",
                "orphaned", "retracted", "redeploy", "outstanding", "events/s"));
        synchronized (work) {
            work.forEach((k, w) -> {
                long events = w.increments() + w.rows();
                long rateNow = Math.round((events - previous.getOrDefault(k, 0L)) / Math.max(seconds, 0.001));
                previous.put(k, events);
                boolean root = k.equals(VIDEO);
                s.append(String.format("%-24s %9d %7s %7s %9s %10s %9s %12s %9d%n", k, w.rows(),
                        root ? "-" : w.count("new"), root ? "-" : w.count("stale"), root ? "-" : w.count("orphaned"),
                        root ? "-" : w.count("retracted"), root ? "-" : w.redeployIncrements(),
                        root ? "-" : w.outstanding(), rateNow));
            });
        }
        out.print(s);
        out.flush();
    }
}
