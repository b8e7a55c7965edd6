package io.metaxy.flink.config;

import io.metaxy.flink.store.MetadataStores;
import io.metaxy.flink.stream.kafka.Delivery;
import io.metaxy.flink.stream.StoreSink;
import io.metaxy.flink.stream.StreamPlan;
import io.metaxy.flink.stream.kafka.KafkaConnections;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;

/**
 * The one source of the job's configuration defaults, as typed Flink options. Each {@code run}
 * option falls back, in this order: the command line, the Flink configuration the job sees (under
 * {@code flink run} the cluster's {@code config.yaml}, e.g. {@code metaxy.topic-prefix: prod.}),
 * the default here. {@code run --help} shows these defaults.
 *
 * <p>Flink's own settings (checkpointing, state backend, restarts) are Flink's options: the job
 * sets them only where the configuration it runs under leaves them unset (see
 * {@link io.metaxy.flink.stream.IncrementJob#configuration}). Secrets (the store password, SASL
 * credentials) are never options: they come from the environment or files, so they never show in
 * a configuration view.
 */
public final class MetaxyOptions {
    private MetaxyOptions() {}

    /** Environment variable with the metadata store's password. */
    public static final String STORE_PASSWORD_ENV = "METAXY_STORE_PASSWORD";

    public static final ConfigOption<String> TOPIC_PREFIX = ConfigOptions.key("metaxy.topic-prefix")
            .stringType().defaultValue(StreamPlan.DEFAULT_TOPIC_PREFIX)
            .withDescription("Prefix of every topic the job reads and writes.");

    public static final ConfigOption<Integer> TOPIC_PARTITIONS = ConfigOptions.key("metaxy.topic-partitions")
            .intType().defaultValue(1)
            .withDescription("Partitions of the topics the job creates when they are missing (unset: the job's parallelism).");

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("metaxy.kafka.bootstrap-servers")
            .stringType().noDefaultValue()
            .withDescription("Kafka bootstrap servers (HOST:PORT,...).");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("metaxy.kafka.transaction-timeout")
            .durationType().defaultValue(KafkaConnections.DEFAULT_TRANSACTION_TIMEOUT)
            .withDescription("Kafka transaction timeout of the exactly-once sinks (at most the broker's transaction.max.timeout.ms).");

    /**
     * What the increments and dead-letter topics promise. {@code exactly-once} (default): Kafka
     * transactions commit with checkpoints, so a read_committed consumer sees each increment once
     * but only after the checkpoint that covers it. {@code at-least-once}: increments are readable as
     * soon as the producer sends them (freshness of milliseconds, not a checkpoint interval), and
     * after a failure the ones since the last checkpoint come again. The store sink stays
     * exactly-once either way (its ledger skips replays).
     */
    public static final ConfigOption<Delivery> DELIVERY = ConfigOptions.key("metaxy.delivery")
            .enumType(Delivery.class).defaultValue(Delivery.EXACTLY_ONCE)
            .withDescription("exactly-once (increments commit with checkpoints) or at-least-once (readable at once; "
                    + "replayed after a failure).");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("metaxy.checkpoint-interval")
            .durationType().defaultValue(Duration.ofSeconds(1))
            .withDescription("Checkpoint interval when neither the command line nor execution.checkpointing.interval "
                    + "sets one; increments commit with checkpoints.");

    public static final ConfigOption<String> STORE_URL = ConfigOptions.key("metaxy.store.url")
            .stringType().noDefaultValue()
            .withDescription("Metadata store URL (duckdb:PATH or postgresql://user@host:port/db; no password: see "
                    + STORE_PASSWORD_ENV + "). Default: duckdb:<data-dir>/" + MetadataStores.DEFAULT_FILE + ".");

    public static final ConfigOption<String> BOOTSTRAP_STORE_URL = ConfigOptions.key("metaxy.bootstrap.store-url")
            .stringType().noDefaultValue()
            .withDescription("Seed the job's state from this metadata store's current rows (duckdb:PATH or "
                    + "postgresql://…; may equal the store): a job without Kafka history then announces what "
                    + "resolveUpdate says. Read once per graph shape; unset: no bootstrap.");

    public static final ConfigOption<Integer> STORE_BATCH_SIZE = ConfigOptions.key("metaxy.store.batch-size")
            .intType().defaultValue(StoreSink.DEFAULT_BATCH_SIZE)
            .withDescription("Rows the store sink buffers before it writes (it also writes at every checkpoint).");

    public static final ConfigOption<String> DATA_DIR = ConfigOptions.key("metaxy.data-dir")
            .stringType().defaultValue(MetadataStores.DEFAULT_DATA_DIR)
            .withDescription("What outlives a local run: the default store, the embedded broker's log, checkpoints.");

    public static final ConfigOption<String> STATE_DIR = ConfigOptions.key("metaxy.state-dir")
            .stringType().noDefaultValue()
            .withDescription("Checkpoints and savepoints of the job, a URI every TaskManager reaches "
                    + "(default <data-dir>/checkpoints).");

    public static final ConfigOption<Integer> LOCAL_WEB_PORT = ConfigOptions.key("metaxy.local.web-port")
            .intType().defaultValue(8081)
            .withDescription("Port of the web UI of a local run (java -jar); under flink run the cluster's rest.port applies.");

    public static final ConfigOption<MemorySize> LOCAL_MANAGED_MEMORY = ConfigOptions.key("metaxy.local.managed-memory")
            .memoryType().defaultValue(MemorySize.parse("1g"))
            .withDescription("Managed memory of a local run (RocksDB's cache and write buffers).");

    public static List<ConfigOption<?>> all() {
        return List.of(TOPIC_PREFIX, TOPIC_PARTITIONS, BOOTSTRAP_SERVERS, TRANSACTION_TIMEOUT, DELIVERY, CHECKPOINT_INTERVAL,
                STORE_URL, BOOTSTRAP_STORE_URL, STORE_BATCH_SIZE, DATA_DIR, STATE_DIR, LOCAL_WEB_PORT, LOCAL_MANAGED_MEMORY);
    }
}
