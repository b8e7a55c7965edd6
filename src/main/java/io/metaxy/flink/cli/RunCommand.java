package io.metaxy.flink.cli;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.definitions.GraphReader;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code run}: the increment job in a local Flink environment with the web UI, against a broker
 * or an embedded one.
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --kafka-port 9092
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --bootstrap-servers broker:9092
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --store postgresql://metaxy@db:5432/metaxy
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --no-store
 * }</pre>
 *
 * Every stamped write is appended to the metadata store ({@link StoreSink}); without
 * {@code --store} that is the DuckDB file {@code metaxy-data/metaxy.duckdb} under the working
 * directory ({@link MetadataStores#DEFAULT_URL}), the same default the {@code metadata} command reads.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the streaming increment job (Kafka feature topics → increment topics).")
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GraphOption graph;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (HOST:PORT).")
    String bootstrapServers;

    @Option(names = "--embedded-kafka", description = "Start a single-node KRaft broker on 127.0.0.1 in this process.")
    boolean embeddedKafka;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the embedded broker (default ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--topic-prefix", defaultValue = StreamPlan.DEFAULT_TOPIC_PREFIX,
            description = "Prefix of every topic (default ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--partitions", defaultValue = "1", description = "Partitions of topics the command creates.")
    int partitions;

    @Option(names = "--checkpoint-interval", defaultValue = "PT1S",
            description = "Checkpoint interval, ISO-8601 (default ${DEFAULT-VALUE}); increments commit with checkpoints.")
    Duration checkpointInterval;

    @Option(names = "--state-dir", description = "Directory for checkpoints (default: a temp directory).")
    Path stateDir;

    @Option(names = "--web-port", defaultValue = "8081", description = "Port of the Flink web UI (default ${DEFAULT-VALUE}).")
    int webPort;

    @Option(names = "--managed-memory", defaultValue = "1g",
            description = "Flink managed memory, RocksDB's cache and write buffers (default ${DEFAULT-VALUE}).")
    String managedMemory;

    @Option(names = "--restore", description = "Resume from this checkpoint or savepoint (a chk-N or savepoint directory).")
    Path restore;

    @Option(names = "--store", description = "Metadata store URL every stamped write is appended to: duckdb:PATH or "
            + "postgresql://user@host:port/db (default " + MetadataStores.DEFAULT_URL + ", under the working directory).")
    String store;

    @Option(names = "--no-store", description = "Kafka only: do not append stamped writes to a metadata store.")
    boolean noStore;

    @Override
    public Integer call() throws Exception {
        if (embeddedKafka == (bootstrapServers != null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --bootstrap-servers and --embedded-kafka");
        }
        if (store != null && noStore) {
            throw new ParameterException(spec.commandLine(), "give at most one of --store and --no-store");
        }
        FeatureGraph featureGraph = graph.load();
        String storeUrl = noStore ? null : store != null ? store : MetadataStores.DEFAULT_URL;
        StoreSink storeSink = null;
        if (storeUrl != null) {
            // Open it once here: a bad URL or a locked DuckDB file fails now, with a clear message.
            MetadataStores.open(storeUrl, featureGraph, AccessMode.WRITE).close();
            String graphFile = graph.file.toAbsolutePath().toString();
            storeSink = new StoreSink(storeUrl, StreamPlan.of(featureGraph, topicPrefix),
                    () -> GraphReader.read(Path.of(graphFile)));
        }
        StreamPlan plan = StreamPlan.of(featureGraph, topicPrefix);
        EmbeddedKafka kafka = null;
        if (embeddedKafka) {
            kafka = EmbeddedKafka.start(kafkaPort);
            bootstrapServers = kafka.bootstrapServers();
        }
        EmbeddedKafka.createTopics(bootstrapServers, plan.allTopics(), partitions);
        Path checkpoints = stateDir != null ? stateDir : Files.createTempDirectory("metaxy-state");
        Configuration config = IncrementJob.configuration(checkpointInterval, checkpoints.toUri().toString());
        config.set(RestOptions.PORT, webPort);
        // Ctrl-C cancels the job: keep its last checkpoint so --restore can resume from it.
        config.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        if (restore != null) {
            config.setString("execution.state-recovery.path", restore.toUri().toString());
        }
        // The local default leaves RocksDB a small cache: throughput falls ~4x once state outgrows it.
        config.setString("taskmanager.memory.managed.size", managedMemory);
        StreamExecutionEnvironment env = environment(config);
        boolean local = env instanceof LocalStreamEnvironment;
        // Stable across redeploys: a changed name would leave the old transactional ids' open
        // transactions blocking read_committed consumers until they time out.
        String jobName = "metaxy-" + topicPrefix.replaceAll("[^A-Za-z0-9_-]", "_");
        KafkaConnections connections = new KafkaConnections(bootstrapServers, plan, jobName);
        new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(), storeSink)
                .build(env);
        JobClient job = env.executeAsync("metaxy increments " + plan.graphVersion());
        System.out.println("Kafka broker: " + bootstrapServers + (embeddedKafka ? " (embedded)" : ""));
        System.out.println(local ? "Flink web UI: http://localhost:" + webPort : "Submitted to the Flink cluster: job " + job.getJobID());
        System.out.println("Feature topics: " + plan.metadataTopics());
        System.out.println("Dead letters: " + plan.deadLetterTopic() + "; increments: <feature topic>.increments");
        System.out.println("Metadata store: " + (storeUrl == null ? "none (--no-store)" : describe(storeUrl)));
        if (!plan.featuresWithoutIncrements().isEmpty()) {
            System.out.println("Note: no increments yet for features with sql_filters or mixed lineage "
                    + plan.featuresWithoutIncrements());
        }
        System.out.println("Checkpoints: " + checkpoints + " (resume with --restore <its chk-N directory>)   Ctrl-C stops");
        if (!local) {
            // The job lives on the cluster: leaving the client must not cancel it.
            return 0;
        }
        EmbeddedKafka broker = kafka;
        AtomicBoolean stopping = new AtomicBoolean();
        Thread stopper = new Thread(() -> {
            stopping.set(true);
            try {
                job.cancel().get();
            } catch (Exception e) {
                // already stopping
            }
            if (broker != null) {
                broker.close();
            }
        }, "metaxy-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            job.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            if (!stopping.get()) {
                throw e;
            }
            // Cancelled by Ctrl-C: a clean stop.
        }
        return 0;
    }

    private static String describe(String url) {
        if (url.startsWith("duckdb:") && !url.equals("duckdb:memory:")) {
            return url + " (" + Path.of(url.substring("duckdb:".length())).toAbsolutePath()
                    + "; locked by this process while the job runs)";
        }
        return url.replaceAll(":[^:@/]*@", ":***@");
    }

    /**
     * Under {@code flink run} the program sees the cluster's context environment and submits to
     * it; run with {@code java -jar} it gets a local one, which we replace by a local cluster
     * with the web UI.
     */
    private static StreamExecutionEnvironment environment(Configuration config) {
        StreamExecutionEnvironment context = StreamExecutionEnvironment.getExecutionEnvironment(config);
        return context instanceof LocalStreamEnvironment
                ? StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(config)
                : context;
    }
}
