package io.metaxy.flink.stream.kafka;

import io.metaxy.flink.stream.DeadLetter;
import io.metaxy.flink.stream.IncrementRecord;
import io.metaxy.flink.stream.RawRecord;
import io.metaxy.flink.stream.StreamPlan;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import java.util.Optional;
import java.util.Properties;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * The job's Kafka ends: a source over every feature topic and exactly-once sinks for increments
 * and dead letters. Transactions commit with checkpoints, so consumers must read committed.
 *
 * <pre>{@code
 * KafkaConnections kafka = new KafkaConnections("127.0.0.1:9092", plan, "metaxy-job");
 * new IncrementJob(plan, kafka.source(), kafka.incrementSink(), kafka.deadLetterSink(), null).build(env);
 * }</pre>
 */
public final class KafkaConnections {
    /** Below the broker's default transaction.max.timeout.ms (15 min). */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    private final String bootstrapServers;
    private final StreamPlan plan;
    private final String jobName;
    private final Duration transactionTimeout;
    /** Client properties of the user's (SASL/SSL, ...): applied first, the job's own settings over them. */
    private final Properties clientProperties;
    private Delivery delivery = Delivery.EXACTLY_ONCE;

    public KafkaConnections(String bootstrapServers, StreamPlan plan, String jobName) {
        this(bootstrapServers, plan, jobName, DEFAULT_TRANSACTION_TIMEOUT);
    }

    /**
     * {@code transactionTimeout}: how long the broker keeps a transaction of the job open. The
     * increments of the last checkpoint before a stop are committed when the job resumes; a
     * resume later than this finds them aborted.
     */
    public KafkaConnections(String bootstrapServers, StreamPlan plan, String jobName, Duration transactionTimeout) {
        this(bootstrapServers, plan, jobName, transactionTimeout, new Properties());
    }

    /** {@code clientProperties}: passed to every consumer, producer and admin client (security settings, ...). */
    public KafkaConnections(String bootstrapServers, StreamPlan plan, String jobName, Duration transactionTimeout,
            Properties clientProperties) {
        this.bootstrapServers = bootstrapServers;
        this.plan = plan;
        this.jobName = jobName;
        this.transactionTimeout = transactionTimeout;
        this.clientProperties = new Properties();
        this.clientProperties.putAll(clientProperties);
    }

    /** The id of the cluster behind {@code bootstrapServers}: checkpoints hold offsets of one cluster only. */
    public static String clusterId(String bootstrapServers, Properties clientProperties) throws Exception {
        try (Admin admin = admin(bootstrapServers, clientProperties)) {
            return admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS);
        }
    }

    /** Creates missing topics and waits until every partition has a leader (KAFKA-15591). */
    public static void createTopics(String bootstrapServers, Properties clientProperties, Collection<String> topics,
            int partitions) throws Exception {
        try (Admin admin = admin(bootstrapServers, clientProperties)) {
            for (String topic : topics) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                try {
                    Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get();
                    boolean led = described.values().stream()
                            .allMatch(d -> d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty()));
                    if (led && described.size() == topics.size()) {
                        return;
                    }
                } catch (ExecutionException e) {
                    // metadata not propagated yet: retry below
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("topics " + topics + " got no leader within 30 s");
                }
                Thread.sleep(50);
            }
        }
    }

    private static Admin admin(String bootstrapServers, Properties clientProperties) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return Admin.create(props);
    }

    /** The sinks' promise (default exactly-once); see {@link io.metaxy.flink.config.MetaxyOptions#DELIVERY}. */
    public KafkaConnections delivery(Delivery delivery) {
        this.delivery = delivery;
        return this;
    }

    public KafkaSource<RawRecord> source() {
        return source(false);
    }

    /** With {@code bounded}, the source stops at the offsets that are latest when the job starts (benchmarks). */
    public KafkaSource<RawRecord> source(boolean bounded) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put("isolation.level", "read_committed");
        props.put("partition.discovery.interval.ms", "10000");
        var builder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(plan.metadataTopics())
                .setGroupId(jobName)
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setProperties(props)
                .setDeserializer(new RawDeserializer());
        if (bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    public KafkaSink<IncrementRecord> incrementSink() {
        return KafkaSink.<IncrementRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(incrementProducerProps())
                .setDeliveryGuarantee(delivery.guarantee())
                .setTransactionalIdPrefix(jobName + "-increments")
                .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                .setRecordSerializer(new IncrementSerializer(plan.incrementTopics()))
                .build();
    }

    public KafkaSink<DeadLetter> deadLetterSink() {
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(producerProps())
                .setDeliveryGuarantee(delivery.guarantee())
                .setTransactionalIdPrefix(jobName + "-dlq")
                .setTransactionNamingStrategy(TransactionNamingStrategy.POOLING)
                .setRecordSerializer(new DeadLetterSerializer(plan.deadLetterTopic()))
                .build();
    }

    /**
     * Batching for the increments topic, applied under the user's client properties (which may
     * override them): one increment per input record makes this the job's busiest producer; with
     * the client's defaults (16 KiB batches, 5 ms linger) a profile of the benchmark found the
     * embedded broker's request handlers, mostly on produce requests, at half the CPU of the
     * increment operators. Exactly-once consumers see increments only when a checkpoint commits,
     * so the longer linger costs no freshness.
     */
    public static final Map<String, String> INCREMENT_PRODUCER_DEFAULTS = Map.of(
            "linger.ms", "50",
            "batch.size", String.valueOf(512 * 1024),
            "compression.type", "lz4");

    private Properties incrementProducerProps() {
        Properties props = new Properties();
        props.putAll(INCREMENT_PRODUCER_DEFAULTS);
        if (delivery == Delivery.AT_LEAST_ONCE) {
            // Consumers see each batch as it is sent: the linger would be their delay.
            props.put("linger.ms", "2");
        }
        props.putAll(producerProps());
        return props;
    }

    private Properties producerProps() {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put("bootstrap.servers", bootstrapServers);
        props.put("transaction.timeout.ms", String.valueOf(transactionTimeout.toMillis()));
        props.put("max.request.size", String.valueOf(4 * 1024 * 1024));
        return props;
    }

    /** Keeps the bytes and the position; parsing happens in the job where failures become dead letters. */
    public static final class RawDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
            RawRecord r = new RawRecord();
            r.topic = record.topic();
            r.partition = record.partition();
            r.offset = record.offset();
            r.timestamp = record.timestamp();
            r.key = record.key();
            r.value = record.value();
            out.collect(r);
        }

        @Override
        public TypeInformation<RawRecord> getProducedType() {
            return TypeInformation.of(RawRecord.class);
        }
    }

    /**
     * Names the topics it writes ({@link KafkaDatasetFacetProvider}): the POOLING transaction
     * naming strategy looks up lingering transactions on them after a restart, instead of probing
     * every transactional id an earlier run may have used.
     */
    static final class IncrementSerializer implements KafkaRecordSerializationSchema<IncrementRecord>,
            KafkaDatasetFacetProvider {
        private static final long serialVersionUID = 1L;
        private final List<String> topics;

        IncrementSerializer(List<String> topics) {
            this.topics = List.copyOf(topics);
        }

        @Override
        public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
            return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(topics)));
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(IncrementRecord r, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(r.topic, r.key.getBytes(StandardCharsets.UTF_8), r.value);
        }
    }

    static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter>, KafkaDatasetFacetProvider {
        private static final long serialVersionUID = 1L;
        private final String topic;

        DeadLetterSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
            return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, d.key, DeadLetterJson.render(d).getBytes(StandardCharsets.UTF_8));
        }
    }
}
