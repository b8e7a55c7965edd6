package io.metaxy.flink.worker;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A worker for one feature: consumes the feature's increments topic, hands each outstanding
 * increment to user code and writes the answer back to the feature's metadata topic, as
 * <a href="../../../../../../../docs/protocol.md">docs/protocol.md</a> describes. Flink-free: only
 * kafka-clients and Jackson.
 *
 * <ul>
 *   <li>Consumes with a consumer group ({@code metaxy-worker-<table>} by default),
 *       {@code isolation.level=read_committed}, no auto commit.</li>
 *   <li>Per poll batch, keeps only the latest event per sample: a later event supersedes an earlier
 *       one, a {@code retracted} event cancels the sample's work. An event identical to one this
 *       worker saw last for the sample (a redelivery after a rebalance) is skipped.</li>
 *   <li>{@code new}/{@code stale}: calls the {@link Handler} and writes its {@link Result} with the
 *       increment's {@code metaxy_provenance_by_field} and {@code feature_version} (and the
 *       optional data-version override). For a 1:N feature the result is a list of
 *       {@link Child child rows}, each written under its own ids.</li>
 *   <li>{@code orphaned}: writes a tombstone (null value) under the sample's ids, or under the ids
 *       {@link Builder#onOrphaned} returns (a 1:N feature's children; also the place to delete
 *       files).</li>
 *   <li>Offsets are committed only after every write of the batch is acknowledged by the broker
 *       ({@code acks=all}, {@code send().get()}): a crash re-delivers the batch, and re-answering is
 *       harmless (the same row again).</li>
 * </ul>
 *
 * <pre>{@code
 * try (IncrementWorker worker = IncrementWorker.builder("localhost:9092", "example/crop")
 *         .handler(inc -> Result.of(Map.of("crop_path", crop((String) inc.upstream().get("path")))))
 *         .build()) {
 *     worker.run(); // until close() from another thread (or a shutdown hook)
 * }
 * }</pre>
 */
public final class IncrementWorker implements AutoCloseable, Runnable {
    static final ObjectMapper JSON = new ObjectMapper();
    public static final String PROVENANCE_BY_FIELD = "metaxy_provenance_by_field";
    public static final String DATA_VERSION_BY_FIELD = "metaxy_data_version_by_field";
    public static final String FEATURE_VERSION = "metaxy_feature_version";
    private static final int ANSWERED_CACHE = 100_000;

    /** One increment event, typed. {@code raw} is the whole event as received. */
    public record Increment(String kind, String feature, String featureVersion, Map<String, Object> ids,
            Map<String, String> provenanceByField, String provenance, String recordedProvenance, String retracts,
            Map<String, Object> upstream, Map<String, List<Map<String, Object>>> members, boolean upstreamOmitted,
            JsonNode raw) {
        static Increment parse(JsonNode e) {
            return new Increment(e.path("kind").asText(), e.path("feature").asText(), e.path("feature_version").asText(),
                    map(e.get("ids")), e.hasNonNull(PROVENANCE_BY_FIELD)
                            ? JSON.convertValue(e.get(PROVENANCE_BY_FIELD), new TypeReference<Map<String, String>>() {})
                            : null,
                    text(e, "metaxy_provenance"), text(e, "recorded_metaxy_provenance"), text(e, "retracts"),
                    map(e.get("upstream")), e.hasNonNull("members")
                            ? JSON.convertValue(e.get("members"),
                                    new TypeReference<Map<String, List<Map<String, Object>>>>() {})
                            : Map.of(),
                    e.path("upstream_omitted").asBoolean(false), e);
        }

        private static Map<String, Object> map(JsonNode n) {
            return n == null || n.isNull() ? Map.of()
                    : JSON.convertValue(n, new TypeReference<LinkedHashMap<String, Object>>() {});
        }

        private static String text(JsonNode e, String field) {
            return e.hasNonNull(field) ? e.get(field).asText() : null;
        }
    }

    /**
     * A 1:N feature's child row: its own ids (the feature's id columns) and its other columns; the
     * parent's ids (the increment's {@code ids}, the {@code on} columns) are added unless given.
     */
    public record Child(Map<String, Object> ids, Map<String, Object> columns) {}

    /**
     * What the handler computed: the sample's user columns ({@link #of}), or for a 1:N feature its
     * children ({@link #children}); optionally a data version per field ({@link #withDataVersion})
     * that stops propagation downstream when the content did not change.
     */
    public record Result(Map<String, Object> columns, List<Child> children, Map<String, String> dataVersionByField) {
        public static Result of(Map<String, ?> columns) {
            return new Result(new LinkedHashMap<>(columns), null, null);
        }

        public static Result children(List<Child> children) {
            return new Result(null, List.copyOf(children), null);
        }

        public Result withDataVersion(Map<String, String> dataVersionByField) {
            return new Result(columns, children, dataVersionByField);
        }
    }

    /**
     * User code: computes one increment. An exception stops the worker without committing the
     * batch (a new worker gets it again); null writes nothing (the work stays outstanding).
     */
    @FunctionalInterface
    public interface Handler {
        Result compute(Increment increment) throws Exception;
    }

    /**
     * Called for an orphaned increment; returns the ids whose rows to delete (tombstones), or null
     * for the increment's own ids (1:1, N:1). A 1:N feature's increment names the parent: return
     * the ids of the children it had (user code knows how it made them).
     */
    @FunctionalInterface
    public interface OrphanHandler {
        List<Map<String, Object>> orphaned(Increment increment) throws Exception;
    }

    /** Counters, for progress displays and tests. */
    public static final class Stats {
        public final AtomicLong received = new AtomicLong();
        public final AtomicLong computed = new AtomicLong();
        public final AtomicLong deleted = new AtomicLong();
        public final AtomicLong skipped = new AtomicLong();
        public final AtomicLong rowsWritten = new AtomicLong();

        @Override
        public String toString() {
            return "received=" + received + " computed=" + computed + " deleted=" + deleted + " skipped=" + skipped
                    + " rowsWritten=" + rowsWritten;
        }
    }

    public static Builder builder(String bootstrapServers, String feature) {
        return new Builder(bootstrapServers, feature);
    }

    public static final class Builder {
        private final String bootstrapServers;
        private final String feature;
        private String topicPrefix = "metaxy.";
        private String groupId;
        private Handler handler;
        private OrphanHandler onOrphaned = inc -> null;
        private Duration pollTimeout = Duration.ofMillis(500);
        private final Properties extra = new Properties();

        private Builder(String bootstrapServers, String feature) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers);
            this.feature = Objects.requireNonNull(feature);
        }

        /** Prefix of the topics (the job's {@code --topic-prefix}, default {@code metaxy.}). */
        public Builder topicPrefix(String prefix) {
            this.topicPrefix = prefix;
            return this;
        }

        /** Consumer group (default {@code metaxy-worker-<table>}); workers of one group share the partitions. */
        public Builder groupId(String groupId) {
            this.groupId = groupId;
            return this;
        }

        public Builder handler(Handler handler) {
            this.handler = handler;
            return this;
        }

        public Builder onOrphaned(OrphanHandler onOrphaned) {
            this.onOrphaned = onOrphaned;
            return this;
        }

        public Builder pollTimeout(Duration timeout) {
            this.pollTimeout = timeout;
            return this;
        }

        /** A Kafka client property for both consumer and producer (e.g. SASL/SSL settings). */
        public Builder kafkaProperty(String key, String value) {
            extra.setProperty(key, value);
            return this;
        }

        public IncrementWorker build() {
            Objects.requireNonNull(handler, "handler");
            return new IncrementWorker(this, null, null);
        }

        /** With the given clients (tests: Kafka's MockConsumer and MockProducer). */
        IncrementWorker build(Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer) {
            Objects.requireNonNull(handler, "handler");
            return new IncrementWorker(this, consumer, producer);
        }
    }

    private final String featureTopic;
    private final String incrementsTopic;
    private final Handler handler;
    private final OrphanHandler onOrphaned;
    private final Duration pollTimeout;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final Stats stats = new Stats();
    /** Per sample key the last event seen (kind, version, provenance): an exact repeat is a redelivery. */
    private final Map<String, String> lastSeen = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > ANSWERED_CACHE;
        }
    };

    private IncrementWorker(Builder b, Consumer<byte[], byte[]> givenConsumer, Producer<byte[], byte[]> givenProducer) {
        String table = io.metaxy.flink.definitions.FeatureKey.of(b.feature).tableName();
        this.featureTopic = b.topicPrefix + table;
        this.incrementsTopic = featureTopic + ".increments";
        this.handler = b.handler;
        this.onOrphaned = b.onOrphaned;
        this.pollTimeout = b.pollTimeout;
        Properties c = new Properties();
        c.putAll(b.extra);
        c.put("bootstrap.servers", b.bootstrapServers);
        c.put("group.id", b.groupId != null ? b.groupId : "metaxy-worker-" + table);
        c.put("isolation.level", "read_committed");
        c.put("enable.auto.commit", "false");
        c.put("auto.offset.reset", "earliest");
        consumer = givenConsumer != null ? givenConsumer
                : new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Properties p = new Properties();
        p.putAll(b.extra);
        p.put("bootstrap.servers", b.bootstrapServers);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("linger.ms", "5");
        producer = givenProducer != null ? givenProducer
                : new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        consumer.subscribe(List.of(incrementsTopic));
    }

    public String featureTopic() {
        return featureTopic;
    }

    public String incrementsTopic() {
        return incrementsTopic;
    }

    public Stats stats() {
        return stats;
    }

    /** Polls and answers until {@link #close()}; rethrows a handler's or the broker's failure. */
    @Override
    public void run() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("already running");
        }
        try {
            while (!closed.get()) {
                pollOnce();
            }
        } catch (WakeupException e) {
            if (!closed.get()) {
                throw e;
            }
        } finally {
            release();
        }
    }

    /**
     * One poll: answers the batch's outstanding work, waits for every write's acknowledgement and
     * then commits the batch's offsets. Returns the number of events received.
     */
    public int pollOnce() {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
        if (records.isEmpty()) {
            return 0;
        }
        // Latest event per sample (key) in this batch; a retraction cancels the sample's work. A key
        // whose events all repeat the last event this worker saw for it is a redelivery: skipped.
        Map<String, JsonNode> latest = new LinkedHashMap<>();
        Map<String, byte[]> keys = new LinkedHashMap<>();
        java.util.Set<String> fresh = new java.util.HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            stats.received.incrementAndGet();
            if (r.value() == null || r.key() == null) {
                continue;
            }
            String key = new String(r.key(), StandardCharsets.UTF_8);
            JsonNode event;
            try {
                event = JSON.readTree(r.value());
            } catch (java.io.IOException e) {
                throw new IllegalStateException("increment at " + r.topic() + "/" + r.partition() + "@" + r.offset()
                        + " is not JSON", e);
            }
            String identity = event.path("kind").asText() + '\u0000' + event.path("feature_version").asText() + '\u0000'
                    + event.path("metaxy_provenance").asText() + '\u0000' + event.path("retracts").asText();
            if (!identity.equals(lastSeen.put(key, identity))) {
                fresh.add(key);
            }
            latest.remove(key); // keep batch order by last occurrence
            latest.put(key, event);
            keys.put(key, r.key());
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : latest.entrySet()) {
            Increment inc = Increment.parse(e.getValue());
            if (inc.kind().equals("retracted") || !fresh.contains(e.getKey())) {
                stats.skipped.incrementAndGet();
                continue;
            }
            try {
                if (inc.kind().equals("orphaned")) {
                    List<Map<String, Object>> delete = onOrphaned.orphaned(inc);
                    if (delete == null) {
                        sent.add(producer.send(new ProducerRecord<>(featureTopic, keys.get(e.getKey()), null)));
                    } else {
                        for (Map<String, Object> ids : delete) {
                            sent.add(producer.send(new ProducerRecord<>(featureTopic, JSON.writeValueAsBytes(ids), null)));
                        }
                    }
                    stats.deleted.incrementAndGet();
                } else {
                    Result result = handler.compute(inc);
                    if (result == null) {
                        stats.skipped.incrementAndGet();
                        continue;
                    }
                    write(inc, keys.get(e.getKey()), result, sent);
                    stats.computed.incrementAndGet();
                }
            } catch (RuntimeException ex) {
                throw ex;
            } catch (Exception ex) {
                throw new IllegalStateException("handler failed on " + inc.feature() + " " + e.getKey(), ex);
            }
        }
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get(60, TimeUnit.SECONDS);
            } catch (Exception ex) {
                throw new IllegalStateException("write-back to " + featureTopic + " not acknowledged", ex);
            }
        }
        stats.rowsWritten.addAndGet(sent.size());
        Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
            offsets.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
        }
        consumer.commitSync(offsets);
        return records.count();
    }

    private void write(Increment inc, byte[] key, Result result, List<Future<RecordMetadata>> sent) throws Exception {
        if (result.children() != null) {
            for (Child child : result.children()) {
                byte[] childKey = JSON.writeValueAsBytes(child.ids());
                // Each child carries its parent's ids (the 'on' columns) as ordinary columns.
                Map<String, Object> columns = new LinkedHashMap<>(inc.ids());
                columns.keySet().removeAll(child.ids().keySet());
                if (child.columns() != null) {
                    columns.putAll(child.columns());
                }
                sent.add(producer.send(new ProducerRecord<>(featureTopic, childKey,
                        row(inc, child.ids(), columns, result.dataVersionByField()))));
            }
        } else {
            sent.add(producer.send(new ProducerRecord<>(featureTopic, key,
                    row(inc, inc.ids(), result.columns(), result.dataVersionByField()))));
        }
    }

    private static byte[] row(Increment inc, Map<String, Object> ids, Map<String, Object> columns,
            Map<String, String> dataVersion) throws Exception {
        ObjectNode row = JSON.createObjectNode();
        ids.forEach((k, v) -> row.set(k, JSON.valueToTree(v)));
        if (columns != null) {
            columns.forEach((k, v) -> row.set(k, JSON.valueToTree(v)));
        }
        row.set(PROVENANCE_BY_FIELD, inc.raw().get(PROVENANCE_BY_FIELD));
        if (dataVersion != null) {
            row.set(DATA_VERSION_BY_FIELD, JSON.valueToTree(dataVersion));
        }
        row.put(FEATURE_VERSION, inc.featureVersion());
        return JSON.writeValueAsBytes(row);
    }

    /** Stops {@link #run()} (from any thread) and releases the clients. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            if (running.get()) {
                consumer.wakeup(); // run() releases the clients
            } else {
                release();
            }
        }
    }

    private void release() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        producer.close(Duration.ofSeconds(10));
        consumer.close(Duration.ofSeconds(10));
    }
}
