package io.metaxy.flink.cli;

import io.metaxy.flink.definitions.FeatureGraph;
import io.metaxy.flink.store.AccessMode;
import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.bootstrap.StoreSeedSource;
import io.metaxy.flink.stream.FreePort;
import io.metaxy.flink.stream.IncrementJob;
import io.metaxy.flink.stream.ResumePoint;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.EmbeddedKafka;
import io.metaxy.flink.stream.kafka.Delivery;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import io.metaxy.flink.config.MetaxyOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code run}: the increment job in a local Flink environment with the web UI (or submitted to
 * the cluster under {@code flink run}), against a broker or an embedded one.
 *
 * <pre>{@code
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --kafka-port 9092
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --bootstrap-servers broker:9092
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --store postgresql://metaxy@db:5432/metaxy
 * java -jar target/metaxy-flink.jar run --graph graph.yaml --embedded-kafka --no-store
 * }</pre>
 *
 * What outlives a run lives in the data directory ({@code metaxy-data/} under the working
 * directory): the default store ({@code metaxy.duckdb}, which the {@code metadata} command reads
 * by default), the embedded broker's log ({@code kafka/}) and the job's checkpoints and
 * savepoints ({@code checkpoints/}). Ctrl-C stops the job with a savepoint; the next {@code run}
 * resumes from the newest savepoint or checkpoint of the same job and Kafka cluster, so stream,
 * topics and store stay one consistent whole.
 */
@Command(name = "run", mixinStandardHelpOptions = true, defaultValueProvider = RunCommand.Defaults.class,
        description = "Run the streaming increment job (Kafka feature topics → increment topics). Under 'flink run' "
                + "the cluster's configuration applies, and options not given here fall back to its metaxy.* keys.")
public final class RunCommand implements Callable<Integer> {
    /** How long Ctrl-C waits for the stopping savepoint before it cancels the job. */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    /** How long a stop keeps asking a job that is still starting for its savepoint. */
    static final Duration STARTING_PATIENCE = Duration.ofMinutes(3);

    @Spec
    CommandSpec spec;

    @Mixin
    GraphOption graph;

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--embedded-kafka", description = "Start a single-node KRaft broker on 127.0.0.1 in this process "
            + "(its log in <data-dir>/kafka).")
    boolean embeddedKafka;

    @Option(names = "--parallelism", description = "Parallelism of the job (default: the cluster's parallelism.default, "
            + "1 locally). The store sink always runs with parallelism 1.")
    Integer parallelism;

    @Option(names = "--store-password-file", paramLabel = "FILE", description = "The store's password, read from "
            + "this file (default: the environment variable " + MetaxyOptions.STORE_PASSWORD_ENV + ", if set).")
    Path storePasswordFile;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the embedded broker (default ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(names = "--data-dir", description = "What outlives a run: the default store "
            + "(metaxy.duckdb), the embedded broker's log (kafka/) and checkpoints (checkpoints/) (default "
            + "${DEFAULT-VALUE}, under the working directory). Delete it whole to start afresh.")
    Path dataDir;

    @Option(names = "--partitions", description = "Partitions of topics the command creates (default: the job's "
            + "parallelism, so that no subtask of the source is idle).")
    int partitions;
    /** Whether --partitions or metaxy.topic-partitions was given; otherwise topics get one partition per subtask. */
    private boolean partitionsGiven;

    @Option(names = "--checkpoint-interval",
            description = "Checkpoint interval, ISO-8601 (default: execution.checkpointing.interval of the configuration, "
                    + "else ${DEFAULT-VALUE}); increments commit with checkpoints.")
    Duration checkpointInterval;

    @Option(names = "--state-dir", description = "Checkpoints and savepoints: a local directory or a URI every "
            + "TaskManager reaches (default <data-dir>/checkpoints).")
    String stateDir;

    @Option(names = "--web-port", description = "Port of the Flink web UI of a local run (default ${DEFAULT-VALUE}; "
            + "0 = any). Under 'flink run' the cluster's own REST port applies.")
    int webPort;

    @Option(names = "--managed-memory",
            description = "Flink managed memory, RocksDB's cache and write buffers (default ${DEFAULT-VALUE}).")
    String managedMemory;

    @Option(names = "--flink-property", paramLabel = "KEY=VALUE", description = "A Flink configuration option for "
            + "this job (e.g. state.backend.rocksdb.block.cache-size=256mb); repeatable. Wins over the job's defaults; "
            + "under 'flink run' it is set on the job, cluster-level options stay the cluster's.")
    Map<String, String> flinkProperties = new java.util.LinkedHashMap<>();

    @Option(names = "--restore", description = "Resume from this checkpoint or savepoint (a chk-N or savepoint directory).")
    String restore;

    @Option(names = "--fresh", description = "Do not resume from the newest checkpoint or savepoint in the state directory.")
    boolean fresh;

    @Option(names = "--transaction-timeout", description = "Kafka transaction timeout, ISO-8601 "
            + "(default ${DEFAULT-VALUE}, at most the broker's transaction.max.timeout.ms). A restore later than this "
            + "after the job stopped loses the increments of its last checkpoint; longer means a crashed job's open "
            + "transaction holds read_committed consumers back longer.")
    Duration transactionTimeout;

    @Option(names = "--delivery", paramLabel = "MODE", converter = DeliveryConverter.class,
            description = "exactly-once (default: increments are readable when the checkpoint that covers them "
                    + "completes) or at-least-once (readable as soon as they are sent; after a failure the increments "
                    + "since the last checkpoint come again). The store is written exactly once either way.")
    Delivery delivery = Delivery.EXACTLY_ONCE;

    /** picocli: exactly-once / at-least-once. */
    static final class DeliveryConverter implements picocli.CommandLine.ITypeConverter<Delivery> {
        @Override
        public Delivery convert(String value) {
            return Delivery.parse(value);
        }
    }

    @Option(names = "--hash", defaultValue = "xxhash32", paramLabel = "ALGO", converter = HashOptionConverters.Algorithm.class,
            description = "Hash of provenance and data versions: xxhash32 (default), xxhash64, md5 or sha256.")
    io.metaxy.flink.versioning.HashAlgorithm hash;

    @Option(names = "--hash-length", defaultValue = "8", paramLabel = "N", converter = HashOptionConverters.Length.class,
            description = "Truncation length of every hash and feature version (>= 8, default 8).")
    int hashLength;

    @Option(names = "--store", description = "Metadata store URL every stamped write is appended to: duckdb:PATH or "
            + "postgresql://user@host:port/db (default duckdb:<data-dir>/metaxy.duckdb).")
    String store;

    @Option(names = "--bootstrap-from-store", paramLabel = "URL", description = "Seed the job's state from this "
            + "metadata store's current rows (duckdb:PATH or postgresql://…, may equal --store; its password as "
            + "--store's): a team with a store needs no Kafka history. Read at the first start and again only "
            + "when a redeploy adds a feature or a dep; seeds never overwrite rows read from Kafka.")
    String bootstrapFromStore;

    @Option(names = "--no-store", description = "Kafka only: do not append stamped writes to a metadata store.")
    boolean noStore;

    @Override
    public Integer call() throws Exception {
        Launched launched = launch();
        PrintWriter out = spec.commandLine().getOut();
        if (!launched.local()) {
            // The job lives on the cluster: leaving the client must not cancel it.
            return 0;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        Thread stopper = new Thread(() -> {
            stopping.set(true);
            launched.stop().ifPresent(savepoint -> {
                out.println("Stopped with a savepoint: " + savepoint + " (the next run resumes from it)");
                out.flush();
            });
        }, "metaxy-shutdown");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            launched.job().getJobExecutionResult().get();
        } catch (ExecutionException e) {
            if (!stopping.get()) {
                throw e;
            }
            // Cancelled by Ctrl-C: a clean stop.
        }
        return 0;
    }

    /** A started job and what it runs on. */
    record Launched(JobClient job, EmbeddedKafka broker, String bootstrapServers, boolean local, String savepoints,
            String resumedFrom) {
        /**
         * Stops the job with a savepoint (cancels it when that fails or takes longer than
         * {@link #STOP_TIMEOUT}) and then the embedded broker; the savepoint's path, if one was taken.
         */
        Optional<String> stop() {
            Optional<String> savepoint = Optional.empty();
            // A job still starting (tasks deploying, slow on a loaded machine) refuses savepoints:
            // retried for longer than a savepoint itself may take.
            long deadline = System.nanoTime() + STARTING_PATIENCE.toNanos();
            Exception last = null;
            while (savepoint.isEmpty() && System.nanoTime() < deadline) {
                try {
                    savepoint = Optional.of(job.stopWithSavepoint(false, savepoints, SavepointFormatType.CANONICAL)
                            .get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
                } catch (java.util.concurrent.TimeoutException e) {
                    last = e;
                    break; // a savepoint under way that does not end in time: cancel
                } catch (Exception e) {
                    last = e;
                    // Right after the start not every task runs yet, and a savepoint is refused: retry.
                    if (!sleepUnlessTerminal()) {
                        break;
                    }
                }
            }
            if (savepoint.isEmpty()) {
                System.err.println("No savepoint (" + (last == null ? "the job had ended" : rootMessage(last))
                        + "): cancelling; the next run resumes from the last checkpoint, if any.");
                try {
                    job.cancel().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // already stopped
                }
            }
            if (broker != null) {
                broker.close();
            }
            return savepoint;
        }

        private static String rootMessage(Throwable e) {
            while (e.getCause() != null && e.getCause() != e) {
                e = e.getCause();
            }
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }

        /** Waits a moment; false when the job has already ended (nothing left to stop). */
        private boolean sleepUnlessTerminal() {
            try {
                if (job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                    return false;
                }
                Thread.sleep(500);
                return true;
            } catch (Exception e) {
                return false;
            }
        }
    }

    /** Validates the options, starts the broker if asked, and submits the job. */
    Launched launch() throws Exception {
        if (store != null && noStore) {
            throw new ParameterException(spec.commandLine(), "give at most one of --store and --no-store");
        }
        if (restore != null && fresh) {
            throw new ParameterException(spec.commandLine(), "give at most one of --restore and --fresh");
        }
        // Under 'flink run' the program sees the cluster's context environment and submits to it;
        // run with 'java -jar' it gets a local one, replaced by a local cluster with the web UI.
        ReadableConfig seen = StreamExecutionEnvironment.getExecutionEnvironment().getConfiguration();
        boolean local = isLocal(StreamExecutionEnvironment.getExecutionEnvironment());
        applyConfigured(seen);
        if (embeddedKafka == (kafkaOptions.bootstrapServers != null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --bootstrap-servers and --embedded-kafka");
        }
        FeatureGraph featureGraph = graph.load();
        io.metaxy.flink.versioning.SampleHasher hasher = new io.metaxy.flink.versioning.SampleHasher(hash, hashLength);
        StreamPlan plan = StreamPlan.of(featureGraph, kafkaOptions.topicPrefix, hasher);
        String storeUrl = noStore ? null : store != null ? store : MetadataStores.defaultUrlIn(dataDir);
        Properties kafkaClient = kafkaOptions.clientProperties();
        StoreSink storeSink = null;
        if (storeUrl != null) {
            String withSecret = StoreCredentials.withPassword(storeUrl, storePassword());
            // Open it once here: a bad URL or a locked DuckDB file fails now, with a clear message.
            MetadataStores.open(withSecret, featureGraph, AccessMode.WRITE, hasher).close();
            // The graph's text travels with the job: a TaskManager cannot read the client's file.
            storeSink = StoreSink.withGraphText(withSecret, plan, graph.text());
        }
        StoreSeedSource seeds = null;
        if (bootstrapFromStore != null) {
            String withSecret = StoreCredentials.withPassword(bootstrapFromStore, storePassword());
            // A missing file or an unreachable database fails now, not on a TaskManager.
            MetadataStores.open(withSecret, featureGraph, AccessMode.READ, hasher).close();
            seeds = StoreSeedSource.withGraphText(withSecret, plan, graph.text());
        }
        // Stable across runs: a changed name would leave the old transactional ids' open
        // transactions blocking read_committed consumers until they time out.
        String jobName = "metaxy-" + kafkaOptions.topicPrefix.replaceAll("[^A-Za-z0-9_-]", "_");
        Configuration config = IncrementJob.configuration(checkpointInterval, null, delivery);
        if (local) {
            config.set(RestOptions.PORT, webPort);
            if (webPort == 0) {
                config.setString("rest.bind-port", "0");
            }
            // The local default leaves RocksDB a small cache: throughput falls ~4x once state outgrows it.
            config.setString("taskmanager.memory.managed.size", managedMemory);
        } else {
            // The cluster's configuration wins: the job's defaults only fill what it leaves unset,
            // and cluster-level settings (ports, memory) are never the job's to change.
            Configuration defaults = config;
            config = new Configuration();
            for (String key : defaults.keySet()) {
                if (!seen.toMap().containsKey(key)) {
                    config.setString(key, defaults.getString(key, null));
                }
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-interval")) {
                config.setString("execution.checkpointing.interval", checkpointInterval.toMillis() + " ms");
            }
        }
        // The user's options last: tuning (RocksDB, buffers, checkpointing) without a config file.
        flinkProperties.forEach(config::setString);
        if (local && webPort != 0) {
            // On a cluster the web UI is the JobManager's own: only a local run binds one.
            FreePort.require(webPort, "web UI port " + webPort + " is in use (another job?): choose another with --web-port");
        }

        EmbeddedKafka kafka = embeddedKafka ? EmbeddedKafka.start(kafkaPort, dataDir.resolve("kafka")) : null;
        try {
            String servers = kafka != null ? kafka.bootstrapServers() : kafkaOptions.bootstrapServers;
            KafkaConnections.createTopics(servers, kafkaClient, plan.allTopics(),
                    partitionsGiven ? partitions : jobParallelism(local, config, seen));
            ResumePoint resume = ResumePoint.in(stateDir != null ? stateDir : dataDir.resolve("checkpoints").toString(), jobName);
            String clusterId = KafkaConnections.clusterId(servers, kafkaClient);
            String resumedFrom = restore == null || restore.contains("://") ? restore
                    : Path.of(restore).toAbsolutePath().toUri().toString();
            if (resumedFrom == null && local) {
                resumedFrom = resume.latest(clusterId, fresh, spec.commandLine().getErr()).orElse(null);
            }
            resume.recordCluster(clusterId);
            config.setString("execution.checkpointing.dir", resume.checkpoints());
            config.setString("execution.checkpointing.savepoint-dir", resume.savepoints());
            if (local) {
                // Unless the user turned it off; on a cluster its own configuration decides.
                IncrementJob.stateChangelog(config, resume.checkpoints());
            }
            // Cancelled rather than stopped (a failed stop, a kill): keep the last checkpoint to resume from.
            config.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
            if (resumedFrom != null) {
                config.setString("execution.state-recovery.path", resumedFrom);
                // The only state a resumed job can leave unclaimed: a bootstrap's finished seed
                // source (its uid names the graph shape it seeded, or the run had none now), and
                // the group assigner's once the graph has no 1:N or N:1 lineage left (no row
                // joins a group any more). The job's own operators keep fixed uids.
                config.setString("execution.state-recovery.ignore-unclaimed-state", "true");
            }
            StreamExecutionEnvironment env = local
                    ? StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(config)
                    : StreamExecutionEnvironment.getExecutionEnvironment(config);
            if (parallelism != null) {
                env.setParallelism(parallelism);
            }
            KafkaConnections connections = new KafkaConnections(servers, plan, jobName, transactionTimeout, kafkaClient)
                    .delivery(delivery);
            new IncrementJob(plan, connections.source(), connections.incrementSink(), connections.deadLetterSink(), storeSink)
                    .bootstrap(seeds).build(env);
            JobClient job = env.executeAsync("metaxy increments " + plan.graphVersion());
            printBanner(plan, servers, local, job, storeUrl, resume, resumedFrom);
            return new Launched(job, kafka, servers, local, resume.savepoints(), resumedFrom);
        } catch (Exception | Error e) {
            if (kafka != null) {
                kafka.close();
            }
            throw e;
        }
    }

    /**
     * The parallelism the job will run with: --parallelism, else the configuration's
     * parallelism.default, else (locally) one subtask per core, as Flink's local environment does.
     */
    private int jobParallelism(boolean local, ReadableConfig config, ReadableConfig cluster) {
        if (parallelism != null) {
            return parallelism;
        }
        var option = org.apache.flink.configuration.CoreOptions.DEFAULT_PARALLELISM;
        return config.getOptional(option).or(() -> cluster.getOptional(option))
                .orElse(local ? Runtime.getRuntime().availableProcessors() : 1);
    }

    /** A local environment (java -jar) rather than the context environment of 'flink run'. */
    static boolean isLocal(StreamExecutionEnvironment env) {
        return env instanceof LocalStreamEnvironment;
    }

    /** Options not given on the command line take the configuration's metaxy.* keys, if set. */
    private void applyConfigured(ReadableConfig seen) {
        kafkaOptions.topicPrefix = pick("--topic-prefix", kafkaOptions.topicPrefix, seen, MetaxyOptions.TOPIC_PREFIX);
        partitionsGiven = spec.commandLine().getParseResult().hasMatchedOption("--partitions")
                || seen.getOptional(MetaxyOptions.TOPIC_PARTITIONS).isPresent();
        partitions = pick("--partitions", partitions, seen, MetaxyOptions.TOPIC_PARTITIONS);
        transactionTimeout = pick("--transaction-timeout", transactionTimeout, seen, MetaxyOptions.TRANSACTION_TIMEOUT);
        delivery = pick("--delivery", delivery, seen, MetaxyOptions.DELIVERY);
        checkpointInterval = pick("--checkpoint-interval", checkpointInterval, seen, MetaxyOptions.CHECKPOINT_INTERVAL);
        dataDir = Path.of(pick("--data-dir", dataDir.toString(), seen, MetaxyOptions.DATA_DIR));
        stateDir = pick("--state-dir", stateDir, seen, MetaxyOptions.STATE_DIR);
        if (!embeddedKafka) {
            kafkaOptions.bootstrapServers = pick("--bootstrap-servers", kafkaOptions.bootstrapServers, seen, MetaxyOptions.BOOTSTRAP_SERVERS);
        }
        if (!noStore) {
            store = pick("--store", store, seen, MetaxyOptions.STORE_URL);
        }
        bootstrapFromStore = pick("--bootstrap-from-store", bootstrapFromStore, seen, MetaxyOptions.BOOTSTRAP_STORE_URL);
    }

    private <T> T pick(String name, T given, ReadableConfig seen, ConfigOption<T> option) {
        if (spec.commandLine().getParseResult().hasMatchedOption(name)) {
            return given;
        }
        return seen.getOptional(option).orElse(given);
    }

    /** --store-password-file, else $METAXY_STORE_PASSWORD, else none. */
    private String storePassword() throws IOException {
        if (storePasswordFile != null) {
            return Files.readString(storePasswordFile, StandardCharsets.UTF_8).strip();
        }
        String env = System.getenv(MetaxyOptions.STORE_PASSWORD_ENV);
        return env == null || env.isEmpty() ? null : env;
    }

    /** picocli's defaults are {@link MetaxyOptions}' defaults: one source for both. */
    public static final class Defaults implements IDefaultValueProvider {
        private static final Map<String, ConfigOption<?>> OPTIONS = Map.of(
                "--topic-prefix", MetaxyOptions.TOPIC_PREFIX,
                "--partitions", MetaxyOptions.TOPIC_PARTITIONS,
                "--transaction-timeout", MetaxyOptions.TRANSACTION_TIMEOUT,
                "--checkpoint-interval", MetaxyOptions.CHECKPOINT_INTERVAL,
                "--data-dir", MetaxyOptions.DATA_DIR,
                "--web-port", MetaxyOptions.LOCAL_WEB_PORT,
                "--managed-memory", MetaxyOptions.LOCAL_MANAGED_MEMORY);

        @Override
        public String defaultValue(ArgSpec argSpec) {
            if (!(argSpec instanceof OptionSpec option)) {
                return null;
            }
            ConfigOption<?> config = OPTIONS.get(option.longestName());
            if (config == null || !config.hasDefaultValue()) {
                return null;
            }
            Object value = config.defaultValue();
            return value instanceof MemorySize size ? size.getBytes() + "b" : value.toString();
        }
    }

    private void printBanner(StreamPlan plan, String servers, boolean local, JobClient job, String storeUrl,
            ResumePoint resume, String resumedFrom) {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Kafka broker: " + servers + (embeddedKafka ? " (embedded, log in " + dataDir.resolve("kafka") + ")" : ""));
        out.println(local ? "Flink web UI: " + (webPort == 0 ? "on a free port" : "http://localhost:" + webPort)
                : "Submitted to the Flink cluster: job " + job.getJobID());
        out.println("Feature topics: " + String.join(", ", plan.metadataTopics()));
        out.println("Dead letters: " + plan.deadLetterTopic() + "; increments: <feature topic>.increments ("
                + delivery.label() + (delivery == Delivery.EXACTLY_ONCE ? ", read them with isolation.level=read_committed)" : ")"));
        out.println("Metadata store: " + (storeUrl == null ? "none (--no-store)" : describe(storeUrl)));
        if (bootstrapFromStore != null) {
            out.println("Bootstrap: seeding the state from " + bootstrapFromStore + " (" + StoreSeedSource.uid(plan)
                    + "; read only if this state has not been seeded for this graph's features and deps)");
        }
        if (!plan.featuresWithoutIncrements().isEmpty()) {
            out.println("Note: no increments yet for features with sql_filters or mixed lineage "
                    + plan.featuresWithoutIncrements());
        }
        out.println("State: " + resume.root() + (resumedFrom != null ? " (resumed from " + resumedFrom + ")" : " (fresh start)"));
        if (local) {
            out.println("Ctrl-C stops the job with a savepoint; the next run resumes from it.");
        }
        out.flush();
    }

    private static String describe(String url) {
        if (url.startsWith("duckdb:") && !url.equals("duckdb:memory:")) {
            return url + " (" + Path.of(url.substring("duckdb:".length())).toAbsolutePath()
                    + "; locked by this process while the job runs)";
        }
        return url.replaceAll(":[^:@/]*@", ":***@");
    }


}
