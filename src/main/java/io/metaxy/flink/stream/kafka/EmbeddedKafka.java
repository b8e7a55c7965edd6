package io.metaxy.flink.stream.kafka;

import java.io.IOException;
import io.metaxy.flink.stream.FreePort;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node KRaft Kafka broker in this process, listening on 127.0.0.1. Used by
 * {@code run --embedded-kafka} (its log kept in a data directory, so topics outlive a run) and
 * by the tests (one per test class, in a temporary directory removed on close).
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(0)) {   // 0 = any free port
 *     kafka.createTopics(List.of("metaxy.example__video"), 1);
 *     String servers = kafka.bootstrapServers();
 * }
 * }</pre>
 */
public final class EmbeddedKafka implements AutoCloseable {
    /** Highest transaction timeout the broker accepts; sinks must stay below it. */
    public static final int MAX_TRANSACTION_TIMEOUT_MS = 900_000;

    private final KafkaRaftServer server;
    private final Path dir;
    private final boolean temporary;
    private final int port;

    private EmbeddedKafka(KafkaRaftServer server, Path dir, boolean temporary, int port) {
        this.server = server;
        this.dir = dir;
        this.temporary = temporary;
        this.port = port;
    }

    /** A broker in a fresh temporary directory, removed on {@link #close()}; {@code port} 0 picks a free one. */
    public static EmbeddedKafka start(int port) throws Exception {
        return start(port, null);
    }

    /**
     * A broker keeping its log in {@code dataDir} (formatted on first use, reused after): its
     * topics, offsets and transactions outlive the process. Null means a temporary directory.
     */
    public static EmbeddedKafka start(int port, Path dataDir) throws Exception {
        if (port != 0) {
            // Fails clearly, before Kafka logs a page of stack traces.
            FreePort.require(port, "port " + port + " on 127.0.0.1 is in use (another broker or job?): "
                    + "choose another with --kafka-port");
        }
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        boolean temporary = dataDir == null;
        Path dir = temporary ? Files.createTempDirectory("mxk") : Files.createDirectories(dataDir);
        String logDir = dir.resolve("log").toString();
        Properties p = new Properties();
        p.put("node.id", "1");
        p.put("process.roles", "broker,controller");
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("log.dirs", logDir);
        p.put("metadata.log.dir", logDir);
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "1");
        p.put("transaction.max.timeout.ms", String.valueOf(MAX_TRANSACTION_TIMEOUT_MS));
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        // No forced fsync of the log (Kafka's default: durability from the page cache and
        // replicas). A flush every 10,000 messages ran an fsync inside the append that crossed it,
        // on the path of increments and their transaction markers, and never made the single
        // broker safe from a power loss anyway (what followed the last flush is lost).
        KafkaConfig config = KafkaConfig.fromProps(p, false);

        if (!Files.exists(Path.of(logDir, "meta.properties"))) {
            new Formatter()
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                    .setNodeId(1)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(logDir))
                    .setMetadataLogDirectory(logDir)
                    .setControllerListenerName("CONTROLLER")
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setReleaseVersion(MetadataVersion.latestProduction())
                    .run();
        }

        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        EmbeddedKafka kafka = new EmbeddedKafka(server, dir, temporary, brokerPort);
        try {
            server.startup();
            kafka.awaitReady();
        } catch (Exception | Error e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /** The id of the cluster behind {@code bootstrapServers}: checkpoints hold offsets of one cluster only. */
    public static String clusterId(String bootstrapServers) throws Exception {
        return KafkaConnections.clusterId(bootstrapServers, new Properties());
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Creates missing topics and waits until every partition has a leader (KAFKA-15591). */
    public void createTopics(Collection<String> topics, int partitions) throws Exception {
        createTopics(bootstrapServers(), topics, partitions);
    }

    /** Same as {@link #createTopics(Collection, int)} against any broker. */
    public static void createTopics(String bootstrapServers, Collection<String> topics, int partitions) throws Exception {
        KafkaConnections.createTopics(bootstrapServers, new Properties(), topics, partitions);
    }

    private void awaitReady() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            admin.describeCluster().nodes().get();
        }
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (!temporary) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is harmless
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
